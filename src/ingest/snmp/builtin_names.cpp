#include "ingest/snmp/builtin_names.hpp"

namespace ticketd::ingest::snmp {
namespace {

constexpr auto O = SnmpNames::Kind::kObject;
constexpr auto N = SnmpNames::Kind::kNotification;
constexpr auto I = SnmpNames::Kind::kNode;

// module, name, OID, kind (O object, N notification, I identity), named values.
constexpr BuiltinName kNames[] = {
    // SNMPv2-MIB (RFC 3418)
    {"SNMPv2-MIB", "sysDescr", "1.3.6.1.2.1.1.1", O, ""},
    {"SNMPv2-MIB", "sysObjectID", "1.3.6.1.2.1.1.2", O, ""},
    {"SNMPv2-MIB", "sysUpTime", "1.3.6.1.2.1.1.3", O, ""},
    {"SNMPv2-MIB", "sysContact", "1.3.6.1.2.1.1.4", O, ""},
    {"SNMPv2-MIB", "sysName", "1.3.6.1.2.1.1.5", O, ""},
    {"SNMPv2-MIB", "sysLocation", "1.3.6.1.2.1.1.6", O, ""},
    {"SNMPv2-MIB", "sysServices", "1.3.6.1.2.1.1.7", O, ""},
    {"SNMPv2-MIB", "sysORLastChange", "1.3.6.1.2.1.1.8", O, ""},
    {"SNMPv2-MIB", "sysORIndex", "1.3.6.1.2.1.1.9.1.1", O, ""},
    {"SNMPv2-MIB", "sysORID", "1.3.6.1.2.1.1.9.1.2", O, ""},
    {"SNMPv2-MIB", "sysORDescr", "1.3.6.1.2.1.1.9.1.3", O, ""},
    {"SNMPv2-MIB", "sysORUpTime", "1.3.6.1.2.1.1.9.1.4", O, ""},
    {"SNMPv2-MIB", "snmpInPkts", "1.3.6.1.2.1.11.1", O, ""},
    {"SNMPv2-MIB", "snmpInBadVersions", "1.3.6.1.2.1.11.3", O, ""},
    {"SNMPv2-MIB", "snmpInBadCommunityNames", "1.3.6.1.2.1.11.4", O, ""},
    {"SNMPv2-MIB", "snmpInBadCommunityUses", "1.3.6.1.2.1.11.5", O, ""},
    {"SNMPv2-MIB", "snmpInASNParseErrs", "1.3.6.1.2.1.11.6", O, ""},
    {"SNMPv2-MIB", "snmpEnableAuthenTraps", "1.3.6.1.2.1.11.30", O, "enabled(1) disabled(2)"},
    {"SNMPv2-MIB", "snmpSilentDrops", "1.3.6.1.2.1.11.31", O, ""},
    {"SNMPv2-MIB", "snmpProxyDrops", "1.3.6.1.2.1.11.32", O, ""},
    {"SNMPv2-MIB", "snmpTrapOID", "1.3.6.1.6.3.1.1.4.1", O, ""},
    {"SNMPv2-MIB", "snmpTrapEnterprise", "1.3.6.1.6.3.1.1.4.3", O, ""},
    {"SNMPv2-MIB", "snmpSetSerialNo", "1.3.6.1.6.3.1.1.6.1", O, ""},
    {"SNMPv2-MIB", "coldStart", "1.3.6.1.6.3.1.1.5.1", N, ""},
    {"SNMPv2-MIB", "warmStart", "1.3.6.1.6.3.1.1.5.2", N, ""},
    {"SNMPv2-MIB", "authenticationFailure", "1.3.6.1.6.3.1.1.5.5", N, ""},
    // RFC 1213 (MIB-II): egpNeighborLoss is SNMPv1 generic trap 5 (RFC 3584 3.1: snmpTraps.6)
    {"RFC1213-MIB", "egpNeighborLoss", "1.3.6.1.6.3.1.1.5.6", N, ""},
    {"RFC1213-MIB", "egpNeighAddr", "1.3.6.1.2.1.8.5.1.2", O, ""},
    {"RFC1213-MIB", "egpNeighState", "1.3.6.1.2.1.8.5.1.1", O,
     "idle(1) acquisition(2) down(3) up(4) cease(5)"},
    // IF-MIB (RFC 2863); ifType values from IANAifType-MIB (2022-08-17)
    {"IF-MIB", "linkDown", "1.3.6.1.6.3.1.1.5.3", N, ""},
    {"IF-MIB", "linkUp", "1.3.6.1.6.3.1.1.5.4", N, ""},
    {"IF-MIB", "ifNumber", "1.3.6.1.2.1.2.1", O, ""},
    {"IF-MIB", "ifIndex", "1.3.6.1.2.1.2.2.1.1", O, ""},
    {"IF-MIB", "ifDescr", "1.3.6.1.2.1.2.2.1.2", O, ""},
    {"IF-MIB", "ifType", "1.3.6.1.2.1.2.2.1.3", O,
     "other(1) regular1822(2) hdh1822(3) ddnX25(4) rfc877x25(5) ethernetCsmacd(6) "
     "iso88023Csmacd(7) "
     "iso88024TokenBus(8) iso88025TokenRing(9) iso88026Man(10) starLan(11) proteon10Mbit(12) "
     "proteon80Mbit(13) hyperchannel(14) fddi(15) lapb(16) sdlc(17) ds1(18) e1(19) basicISDN(20) "
     "primaryISDN(21) propPointToPointSerial(22) ppp(23) softwareLoopback(24) eon(25) "
     "ethernet3Mbit(26) nsip(27) slip(28) ultra(29) ds3(30) sip(31) frameRelay(32) rs232(33) "
     "para(34) "
     "arcnet(35) arcnetPlus(36) atm(37) miox25(38) sonet(39) x25ple(40) iso88022llc(41) "
     "localTalk(42) "
     "smdsDxi(43) frameRelayService(44) v35(45) hssi(46) hippi(47) modem(48) aal5(49) "
     "sonetPath(50) "
     "sonetVT(51) smdsIcip(52) propVirtual(53) propMultiplexor(54) ieee80212(55) fibreChannel(56) "
     "hippiInterface(57) frameRelayInterconnect(58) aflane8023(59) aflane8025(60) cctEmul(61) "
     "fastEther(62) isdn(63) v11(64) v36(65) g703at64k(66) g703at2mb(67) qllc(68) fastEtherFX(69) "
     "channel(70) ieee80211(71) ibm370parChan(72) escon(73) dlsw(74) isdns(75) isdnu(76) lapd(77) "
     "ipSwitch(78) rsrb(79) atmLogical(80) ds0(81) ds0Bundle(82) bsc(83) async(84) cnr(85) "
     "iso88025Dtr(86) eplrs(87) arap(88) propCnls(89) hostPad(90) termPad(91) frameRelayMPI(92) "
     "x213(93) adsl(94) radsl(95) sdsl(96) vdsl(97) iso88025CRFPInt(98) myrinet(99) voiceEM(100) "
     "voiceFXO(101) voiceFXS(102) voiceEncap(103) voiceOverIp(104) atmDxi(105) atmFuni(106) "
     "atmIma(107) pppMultilinkBundle(108) ipOverCdlc(109) ipOverClaw(110) stackToStack(111) "
     "virtualIpAddress(112) mpc(113) ipOverAtm(114) iso88025Fiber(115) tdlc(116) "
     "gigabitEthernet(117) "
     "hdlc(118) lapf(119) v37(120) x25mlp(121) x25huntGroup(122) transpHdlc(123) interleave(124) "
     "fast(125) ip(126) docsCableMaclayer(127) docsCableDownstream(128) docsCableUpstream(129) "
     "a12MppSwitch(130) tunnel(131) coffee(132) ces(133) atmSubInterface(134) l2vlan(135) "
     "l3ipvlan(136) l3ipxvlan(137) digitalPowerline(138) mediaMailOverIp(139) dtm(140) dcn(141) "
     "ipForward(142) msdsl(143) ieee1394(144) if-gsn(145) dvbRccMacLayer(146) "
     "dvbRccDownstream(147) "
     "dvbRccUpstream(148) atmVirtual(149) mplsTunnel(150) srp(151) voiceOverAtm(152) "
     "voiceOverFrameRelay(153) idsl(154) compositeLink(155) ss7SigLink(156) propWirelessP2P(157) "
     "frForward(158) rfc1483(159) usb(160) ieee8023adLag(161) bgppolicyaccounting(162) "
     "frf16MfrBundle(163) h323Gatekeeper(164) h323Proxy(165) mpls(166) mfSigLink(167) hdsl2(168) "
     "shdsl(169) ds1FDL(170) pos(171) dvbAsiIn(172) dvbAsiOut(173) plc(174) nfas(175) tr008(176) "
     "gr303RDT(177) gr303IDT(178) isup(179) propDocsWirelessMaclayer(180) "
     "propDocsWirelessDownstream(181) propDocsWirelessUpstream(182) hiperlan2(183) "
     "propBWAp2Mp(184) "
     "sonetOverheadChannel(185) digitalWrapperOverheadChannel(186) aal2(187) radioMAC(188) "
     "atmRadio(189) imt(190) mvl(191) reachDSL(192) frDlciEndPt(193) atmVciEndPt(194) "
     "opticalChannel(195) opticalTransport(196) propAtm(197) voiceOverCable(198) infiniband(199) "
     "teLink(200) q2931(201) virtualTg(202) sipTg(203) sipSig(204) docsCableUpstreamChannel(205) "
     "econet(206) pon155(207) pon622(208) bridge(209) linegroup(210) voiceEMFGD(211) "
     "voiceFGDEANA(212) "
     "voiceDID(213) mpegTransport(214) sixToFour(215) gtp(216) pdnEtherLoop1(217) "
     "pdnEtherLoop2(218) "
     "opticalChannelGroup(219) homepna(220) gfp(221) ciscoISLvlan(222) actelisMetaLOOP(223) "
     "fcipLink(224) rpr(225) qam(226) lmp(227) cblVectaStar(228) docsCableMCmtsDownstream(229) "
     "adsl2(230) macSecControlledIF(231) macSecUncontrolledIF(232) aviciOpticalEther(233) "
     "atmbond(234) "
     "voiceFGDOS(235) mocaVersion1(236) ieee80216WMAN(237) adsl2plus(238) dvbRcsMacLayer(239) "
     "dvbTdm(240) dvbRcsTdma(241) x86Laps(242) wwanPP(243) wwanPP2(244) voiceEBS(245) "
     "ifPwType(246) "
     "ilan(247) pip(248) aluELP(249) gpon(250) vdsl2(251) capwapDot11Profile(252) "
     "capwapDot11Bss(253) "
     "capwapWtpVirtualRadio(254) bits(255) docsCableUpstreamRfPort(256) cableDownstreamRfPort(257) "
     "vmwareVirtualNic(258) ieee802154(259) otnOdu(260) otnOtu(261) ifVfiType(262) g9981(263) "
     "g9982(264) g9983(265) aluEpon(266) aluEponOnu(267) aluEponPhysicalUni(268) "
     "aluEponLogicalLink(269) aluGponOnu(270) aluGponPhysicalUni(271) vmwareNicTeam(272) "
     "docsOfdmDownstream(277) docsOfdmaUpstream(278) gfast(279) sdci(280) xboxWireless(281) "
     "fastdsl(282) docsCableScte55d1FwdOob(283) docsCableScte55d1RetOob(284) "
     "docsCableScte55d2DsOob(285) docsCableScte55d2UsOob(286) docsCableNdf(287) docsCableNdr(288) "
     "ptm(289) ghn(290) otnOtsi(291) otnOtuc(292) otnOduc(293) otnOtsig(294) "
     "microwaveCarrierTermination(295) microwaveRadioLinkTerminal(296) ieee8021axDrni(297) "
     "ax25(298) "
     "ieee19061nanocom(299) cpri(300) omni(301) roe(302) p2pOverLan(303)"},
    {"IF-MIB", "ifMtu", "1.3.6.1.2.1.2.2.1.4", O, ""},
    {"IF-MIB", "ifSpeed", "1.3.6.1.2.1.2.2.1.5", O, ""},
    {"IF-MIB", "ifPhysAddress", "1.3.6.1.2.1.2.2.1.6", O, ""},
    {"IF-MIB", "ifAdminStatus", "1.3.6.1.2.1.2.2.1.7", O, "up(1) down(2) testing(3)"},
    {"IF-MIB", "ifOperStatus", "1.3.6.1.2.1.2.2.1.8", O,
     "up(1) down(2) testing(3) unknown(4) dormant(5) notPresent(6) lowerLayerDown(7)"},
    {"IF-MIB", "ifLastChange", "1.3.6.1.2.1.2.2.1.9", O, ""},
    {"IF-MIB", "ifInOctets", "1.3.6.1.2.1.2.2.1.10", O, ""},
    {"IF-MIB", "ifInUcastPkts", "1.3.6.1.2.1.2.2.1.11", O, ""},
    {"IF-MIB", "ifInNUcastPkts", "1.3.6.1.2.1.2.2.1.12", O, ""},
    {"IF-MIB", "ifInDiscards", "1.3.6.1.2.1.2.2.1.13", O, ""},
    {"IF-MIB", "ifInErrors", "1.3.6.1.2.1.2.2.1.14", O, ""},
    {"IF-MIB", "ifInUnknownProtos", "1.3.6.1.2.1.2.2.1.15", O, ""},
    {"IF-MIB", "ifOutOctets", "1.3.6.1.2.1.2.2.1.16", O, ""},
    {"IF-MIB", "ifOutUcastPkts", "1.3.6.1.2.1.2.2.1.17", O, ""},
    {"IF-MIB", "ifOutNUcastPkts", "1.3.6.1.2.1.2.2.1.18", O, ""},
    {"IF-MIB", "ifOutDiscards", "1.3.6.1.2.1.2.2.1.19", O, ""},
    {"IF-MIB", "ifOutErrors", "1.3.6.1.2.1.2.2.1.20", O, ""},
    {"IF-MIB", "ifOutQLen", "1.3.6.1.2.1.2.2.1.21", O, ""},
    {"IF-MIB", "ifSpecific", "1.3.6.1.2.1.2.2.1.22", O, ""},
    {"IF-MIB", "ifName", "1.3.6.1.2.1.31.1.1.1.1", O, ""},
    {"IF-MIB", "ifInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.2", O, ""},
    {"IF-MIB", "ifInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.3", O, ""},
    {"IF-MIB", "ifOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.4", O, ""},
    {"IF-MIB", "ifOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.5", O, ""},
    {"IF-MIB", "ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6", O, ""},
    {"IF-MIB", "ifHCInUcastPkts", "1.3.6.1.2.1.31.1.1.1.7", O, ""},
    {"IF-MIB", "ifHCInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.8", O, ""},
    {"IF-MIB", "ifHCInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.9", O, ""},
    {"IF-MIB", "ifHCOutOctets", "1.3.6.1.2.1.31.1.1.1.10", O, ""},
    {"IF-MIB", "ifHCOutUcastPkts", "1.3.6.1.2.1.31.1.1.1.11", O, ""},
    {"IF-MIB", "ifHCOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.12", O, ""},
    {"IF-MIB", "ifHCOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.13", O, ""},
    {"IF-MIB", "ifLinkUpDownTrapEnable", "1.3.6.1.2.1.31.1.1.1.14", O, "enabled(1) disabled(2)"},
    {"IF-MIB", "ifHighSpeed", "1.3.6.1.2.1.31.1.1.1.15", O, ""},
    {"IF-MIB", "ifPromiscuousMode", "1.3.6.1.2.1.31.1.1.1.16", O, "true(1) false(2)"},
    {"IF-MIB", "ifConnectorPresent", "1.3.6.1.2.1.31.1.1.1.17", O, "true(1) false(2)"},
    {"IF-MIB", "ifAlias", "1.3.6.1.2.1.31.1.1.1.18", O, ""},
    {"IF-MIB", "ifCounterDiscontinuityTime", "1.3.6.1.2.1.31.1.1.1.19", O, ""},
    {"IF-MIB", "ifTableLastChange", "1.3.6.1.2.1.31.1.5", O, ""},
    {"IF-MIB", "ifStackLastChange", "1.3.6.1.2.1.31.1.6", O, ""},
    // SNMP-COMMUNITY-MIB (RFC 3584)
    {"SNMP-COMMUNITY-MIB", "snmpTrapAddress", "1.3.6.1.6.3.18.1.3", O, ""},
    {"SNMP-COMMUNITY-MIB", "snmpTrapCommunity", "1.3.6.1.6.3.18.1.4", O, ""},
    // SNMP-FRAMEWORK-MIB (RFC 3411)
    {"SNMP-FRAMEWORK-MIB", "snmpEngineID", "1.3.6.1.6.3.10.2.1.1", O, ""},
    {"SNMP-FRAMEWORK-MIB", "snmpEngineBoots", "1.3.6.1.6.3.10.2.1.2", O, ""},
    {"SNMP-FRAMEWORK-MIB", "snmpEngineTime", "1.3.6.1.6.3.10.2.1.3", O, ""},
    {"SNMP-FRAMEWORK-MIB", "snmpEngineMaxMessageSize", "1.3.6.1.6.3.10.2.1.4", O, ""},
    // SNMP-MPD-MIB (RFC 3412)
    {"SNMP-MPD-MIB", "snmpUnknownSecurityModels", "1.3.6.1.6.3.11.2.1.1", O, ""},
    {"SNMP-MPD-MIB", "snmpInvalidMsgs", "1.3.6.1.6.3.11.2.1.2", O, ""},
    {"SNMP-MPD-MIB", "snmpUnknownPDUHandlers", "1.3.6.1.6.3.11.2.1.3", O, ""},
    // SNMP-TARGET-MIB (RFC 3413)
    {"SNMP-TARGET-MIB", "snmpUnavailableContexts", "1.3.6.1.6.3.12.1.4", O, ""},
    {"SNMP-TARGET-MIB", "snmpUnknownContexts", "1.3.6.1.6.3.12.1.5", O, ""},
    // SNMP-USER-BASED-SM-MIB (RFC 3414)
    {"SNMP-USER-BASED-SM-MIB", "usmStatsUnsupportedSecLevels", "1.3.6.1.6.3.15.1.1.1", O, ""},
    {"SNMP-USER-BASED-SM-MIB", "usmStatsNotInTimeWindows", "1.3.6.1.6.3.15.1.1.2", O, ""},
    {"SNMP-USER-BASED-SM-MIB", "usmStatsUnknownUserNames", "1.3.6.1.6.3.15.1.1.3", O, ""},
    {"SNMP-USER-BASED-SM-MIB", "usmStatsUnknownEngineIDs", "1.3.6.1.6.3.15.1.1.4", O, ""},
    {"SNMP-USER-BASED-SM-MIB", "usmStatsWrongDigests", "1.3.6.1.6.3.15.1.1.5", O, ""},
    {"SNMP-USER-BASED-SM-MIB", "usmStatsDecryptionErrors", "1.3.6.1.6.3.15.1.1.6", O, ""},
    // ENTITY-MIB (RFC 6933); entPhysicalClass values from IANA-ENTITY-MIB
    {"ENTITY-MIB", "entConfigChange", "1.3.6.1.2.1.47.2.0.1", N, ""},
    {"ENTITY-MIB", "entLastChangeTime", "1.3.6.1.2.1.47.1.4.1", O, ""},
    {"ENTITY-MIB", "entPhysicalIndex", "1.3.6.1.2.1.47.1.1.1.1.1", O, ""},
    {"ENTITY-MIB", "entPhysicalDescr", "1.3.6.1.2.1.47.1.1.1.1.2", O, ""},
    {"ENTITY-MIB", "entPhysicalVendorType", "1.3.6.1.2.1.47.1.1.1.1.3", O, ""},
    {"ENTITY-MIB", "entPhysicalContainedIn", "1.3.6.1.2.1.47.1.1.1.1.4", O, ""},
    {"ENTITY-MIB", "entPhysicalClass", "1.3.6.1.2.1.47.1.1.1.1.5", O,
     "other(1) unknown(2) chassis(3) backplane(4) container(5) powerSupply(6) fan(7) sensor(8) "
     "module(9) port(10) stack(11) cpu(12) energyObject(13) battery(14) storageDrive(15)"},
    {"ENTITY-MIB", "entPhysicalParentRelPos", "1.3.6.1.2.1.47.1.1.1.1.6", O, ""},
    {"ENTITY-MIB", "entPhysicalName", "1.3.6.1.2.1.47.1.1.1.1.7", O, ""},
    {"ENTITY-MIB", "entPhysicalHardwareRev", "1.3.6.1.2.1.47.1.1.1.1.8", O, ""},
    {"ENTITY-MIB", "entPhysicalFirmwareRev", "1.3.6.1.2.1.47.1.1.1.1.9", O, ""},
    {"ENTITY-MIB", "entPhysicalSoftwareRev", "1.3.6.1.2.1.47.1.1.1.1.10", O, ""},
    {"ENTITY-MIB", "entPhysicalSerialNum", "1.3.6.1.2.1.47.1.1.1.1.11", O, ""},
    {"ENTITY-MIB", "entPhysicalMfgName", "1.3.6.1.2.1.47.1.1.1.1.12", O, ""},
    {"ENTITY-MIB", "entPhysicalModelName", "1.3.6.1.2.1.47.1.1.1.1.13", O, ""},
    {"ENTITY-MIB", "entPhysicalAlias", "1.3.6.1.2.1.47.1.1.1.1.14", O, ""},
    {"ENTITY-MIB", "entPhysicalAssetID", "1.3.6.1.2.1.47.1.1.1.1.15", O, ""},
    {"ENTITY-MIB", "entPhysicalIsFRU", "1.3.6.1.2.1.47.1.1.1.1.16", O, "true(1) false(2)"},
    {"ENTITY-MIB", "entPhysicalMfgDate", "1.3.6.1.2.1.47.1.1.1.1.17", O, ""},
    {"ENTITY-MIB", "entPhysicalUris", "1.3.6.1.2.1.47.1.1.1.1.18", O, ""},
    {"ENTITY-MIB", "entPhysicalUUID", "1.3.6.1.2.1.47.1.1.1.1.19", O, ""},
    // UPS-MIB (RFC 1628)
    {"UPS-MIB", "upsTrapOnBattery", "1.3.6.1.2.1.33.2.1", N, ""},
    {"UPS-MIB", "upsTrapTestCompleted", "1.3.6.1.2.1.33.2.2", N, ""},
    {"UPS-MIB", "upsTrapAlarmEntryAdded", "1.3.6.1.2.1.33.2.3", N, ""},
    {"UPS-MIB", "upsTrapAlarmEntryRemoved", "1.3.6.1.2.1.33.2.4", N, ""},
    {"UPS-MIB", "upsIdentManufacturer", "1.3.6.1.2.1.33.1.1.1", O, ""},
    {"UPS-MIB", "upsIdentModel", "1.3.6.1.2.1.33.1.1.2", O, ""},
    {"UPS-MIB", "upsIdentUPSSoftwareVersion", "1.3.6.1.2.1.33.1.1.3", O, ""},
    {"UPS-MIB", "upsIdentAgentSoftwareVersion", "1.3.6.1.2.1.33.1.1.4", O, ""},
    {"UPS-MIB", "upsIdentName", "1.3.6.1.2.1.33.1.1.5", O, ""},
    {"UPS-MIB", "upsIdentAttachedDevices", "1.3.6.1.2.1.33.1.1.6", O, ""},
    {"UPS-MIB", "upsBatteryStatus", "1.3.6.1.2.1.33.1.2.1", O,
     "unknown(1) batteryNormal(2) batteryLow(3) batteryDepleted(4)"},
    {"UPS-MIB", "upsSecondsOnBattery", "1.3.6.1.2.1.33.1.2.2", O, ""},
    {"UPS-MIB", "upsEstimatedMinutesRemaining", "1.3.6.1.2.1.33.1.2.3", O, ""},
    {"UPS-MIB", "upsEstimatedChargeRemaining", "1.3.6.1.2.1.33.1.2.4", O, ""},
    {"UPS-MIB", "upsBatteryVoltage", "1.3.6.1.2.1.33.1.2.5", O, ""},
    {"UPS-MIB", "upsBatteryCurrent", "1.3.6.1.2.1.33.1.2.6", O, ""},
    {"UPS-MIB", "upsBatteryTemperature", "1.3.6.1.2.1.33.1.2.7", O, ""},
    {"UPS-MIB", "upsInputLineBads", "1.3.6.1.2.1.33.1.3.1", O, ""},
    {"UPS-MIB", "upsInputNumLines", "1.3.6.1.2.1.33.1.3.2", O, ""},
    {"UPS-MIB", "upsInputLineIndex", "1.3.6.1.2.1.33.1.3.3.1.1", O, ""},
    {"UPS-MIB", "upsInputFrequency", "1.3.6.1.2.1.33.1.3.3.1.2", O, ""},
    {"UPS-MIB", "upsInputVoltage", "1.3.6.1.2.1.33.1.3.3.1.3", O, ""},
    {"UPS-MIB", "upsInputCurrent", "1.3.6.1.2.1.33.1.3.3.1.4", O, ""},
    {"UPS-MIB", "upsInputTruePower", "1.3.6.1.2.1.33.1.3.3.1.5", O, ""},
    {"UPS-MIB", "upsOutputSource", "1.3.6.1.2.1.33.1.4.1", O,
     "other(1) none(2) normal(3) bypass(4) battery(5) booster(6) reducer(7)"},
    {"UPS-MIB", "upsOutputFrequency", "1.3.6.1.2.1.33.1.4.2", O, ""},
    {"UPS-MIB", "upsOutputNumLines", "1.3.6.1.2.1.33.1.4.3", O, ""},
    {"UPS-MIB", "upsOutputLineIndex", "1.3.6.1.2.1.33.1.4.4.1.1", O, ""},
    {"UPS-MIB", "upsOutputVoltage", "1.3.6.1.2.1.33.1.4.4.1.2", O, ""},
    {"UPS-MIB", "upsOutputCurrent", "1.3.6.1.2.1.33.1.4.4.1.3", O, ""},
    {"UPS-MIB", "upsOutputPower", "1.3.6.1.2.1.33.1.4.4.1.4", O, ""},
    {"UPS-MIB", "upsOutputPercentLoad", "1.3.6.1.2.1.33.1.4.4.1.5", O, ""},
    {"UPS-MIB", "upsBypassFrequency", "1.3.6.1.2.1.33.1.5.1", O, ""},
    {"UPS-MIB", "upsBypassNumLines", "1.3.6.1.2.1.33.1.5.2", O, ""},
    {"UPS-MIB", "upsBypassLineIndex", "1.3.6.1.2.1.33.1.5.3.1.1", O, ""},
    {"UPS-MIB", "upsBypassVoltage", "1.3.6.1.2.1.33.1.5.3.1.2", O, ""},
    {"UPS-MIB", "upsBypassCurrent", "1.3.6.1.2.1.33.1.5.3.1.3", O, ""},
    {"UPS-MIB", "upsBypassPower", "1.3.6.1.2.1.33.1.5.3.1.4", O, ""},
    {"UPS-MIB", "upsAlarmsPresent", "1.3.6.1.2.1.33.1.6.1", O, ""},
    {"UPS-MIB", "upsAlarmId", "1.3.6.1.2.1.33.1.6.2.1.1", O, ""},
    {"UPS-MIB", "upsAlarmDescr", "1.3.6.1.2.1.33.1.6.2.1.2", O, ""},
    {"UPS-MIB", "upsAlarmTime", "1.3.6.1.2.1.33.1.6.2.1.3", O, ""},
    {"UPS-MIB", "upsAlarmBatteryBad", "1.3.6.1.2.1.33.1.6.3.1", I, ""},
    {"UPS-MIB", "upsAlarmOnBattery", "1.3.6.1.2.1.33.1.6.3.2", I, ""},
    {"UPS-MIB", "upsAlarmLowBattery", "1.3.6.1.2.1.33.1.6.3.3", I, ""},
    {"UPS-MIB", "upsAlarmDepletedBattery", "1.3.6.1.2.1.33.1.6.3.4", I, ""},
    {"UPS-MIB", "upsAlarmTempBad", "1.3.6.1.2.1.33.1.6.3.5", I, ""},
    {"UPS-MIB", "upsAlarmInputBad", "1.3.6.1.2.1.33.1.6.3.6", I, ""},
    {"UPS-MIB", "upsAlarmOutputBad", "1.3.6.1.2.1.33.1.6.3.7", I, ""},
    {"UPS-MIB", "upsAlarmOutputOverload", "1.3.6.1.2.1.33.1.6.3.8", I, ""},
    {"UPS-MIB", "upsAlarmOnBypass", "1.3.6.1.2.1.33.1.6.3.9", I, ""},
    {"UPS-MIB", "upsAlarmBypassBad", "1.3.6.1.2.1.33.1.6.3.10", I, ""},
    {"UPS-MIB", "upsAlarmOutputOffAsRequested", "1.3.6.1.2.1.33.1.6.3.11", I, ""},
    {"UPS-MIB", "upsAlarmUpsOffAsRequested", "1.3.6.1.2.1.33.1.6.3.12", I, ""},
    {"UPS-MIB", "upsAlarmChargerFailed", "1.3.6.1.2.1.33.1.6.3.13", I, ""},
    {"UPS-MIB", "upsAlarmUpsOutputOff", "1.3.6.1.2.1.33.1.6.3.14", I, ""},
    {"UPS-MIB", "upsAlarmUpsSystemOff", "1.3.6.1.2.1.33.1.6.3.15", I, ""},
    {"UPS-MIB", "upsAlarmFanFailure", "1.3.6.1.2.1.33.1.6.3.16", I, ""},
    {"UPS-MIB", "upsAlarmFuseFailure", "1.3.6.1.2.1.33.1.6.3.17", I, ""},
    {"UPS-MIB", "upsAlarmGeneralFault", "1.3.6.1.2.1.33.1.6.3.18", I, ""},
    {"UPS-MIB", "upsAlarmDiagnosticTestFailed", "1.3.6.1.2.1.33.1.6.3.19", I, ""},
    {"UPS-MIB", "upsAlarmCommunicationsLost", "1.3.6.1.2.1.33.1.6.3.20", I, ""},
    {"UPS-MIB", "upsAlarmAwaitingPower", "1.3.6.1.2.1.33.1.6.3.21", I, ""},
    {"UPS-MIB", "upsAlarmShutdownPending", "1.3.6.1.2.1.33.1.6.3.22", I, ""},
    {"UPS-MIB", "upsAlarmShutdownImminent", "1.3.6.1.2.1.33.1.6.3.23", I, ""},
    {"UPS-MIB", "upsAlarmTestInProgress", "1.3.6.1.2.1.33.1.6.3.24", I, ""},
    {"UPS-MIB", "upsTestId", "1.3.6.1.2.1.33.1.7.1", O, ""},
    {"UPS-MIB", "upsTestSpinLock", "1.3.6.1.2.1.33.1.7.2", O, ""},
    {"UPS-MIB", "upsTestResultsSummary", "1.3.6.1.2.1.33.1.7.3", O,
     "donePass(1) doneWarning(2) doneError(3) aborted(4) inProgress(5) noTestsInitiated(6)"},
    {"UPS-MIB", "upsTestResultsDetail", "1.3.6.1.2.1.33.1.7.4", O, ""},
    {"UPS-MIB", "upsTestStartTime", "1.3.6.1.2.1.33.1.7.5", O, ""},
    {"UPS-MIB", "upsTestElapsedTime", "1.3.6.1.2.1.33.1.7.6", O, ""},
    {"UPS-MIB", "upsTestNoTestsInitiated", "1.3.6.1.2.1.33.1.7.7.1", I, ""},
    {"UPS-MIB", "upsTestAbortTestInProgress", "1.3.6.1.2.1.33.1.7.7.2", I, ""},
    {"UPS-MIB", "upsTestGeneralSystemsTest", "1.3.6.1.2.1.33.1.7.7.3", I, ""},
    {"UPS-MIB", "upsTestQuickBatteryTest", "1.3.6.1.2.1.33.1.7.7.4", I, ""},
    {"UPS-MIB", "upsTestDeepBatteryCalibration", "1.3.6.1.2.1.33.1.7.7.5", I, ""},
    {"UPS-MIB", "upsShutdownType", "1.3.6.1.2.1.33.1.8.1", O, "output(1) system(2)"},
    {"UPS-MIB", "upsShutdownAfterDelay", "1.3.6.1.2.1.33.1.8.2", O, ""},
    {"UPS-MIB", "upsStartupAfterDelay", "1.3.6.1.2.1.33.1.8.3", O, ""},
    {"UPS-MIB", "upsRebootWithDuration", "1.3.6.1.2.1.33.1.8.4", O, ""},
    {"UPS-MIB", "upsAutoRestart", "1.3.6.1.2.1.33.1.8.5", O, "on(1) off(2)"},
    {"UPS-MIB", "upsConfigInputVoltage", "1.3.6.1.2.1.33.1.9.1", O, ""},
    {"UPS-MIB", "upsConfigInputFreq", "1.3.6.1.2.1.33.1.9.2", O, ""},
    {"UPS-MIB", "upsConfigOutputVoltage", "1.3.6.1.2.1.33.1.9.3", O, ""},
    {"UPS-MIB", "upsConfigOutputFreq", "1.3.6.1.2.1.33.1.9.4", O, ""},
    {"UPS-MIB", "upsConfigOutputVA", "1.3.6.1.2.1.33.1.9.5", O, ""},
    {"UPS-MIB", "upsConfigOutputPower", "1.3.6.1.2.1.33.1.9.6", O, ""},
    {"UPS-MIB", "upsConfigLowBattTime", "1.3.6.1.2.1.33.1.9.7", O, ""},
    {"UPS-MIB", "upsConfigAudibleStatus", "1.3.6.1.2.1.33.1.9.8", O,
     "disabled(1) enabled(2) muted(3)"},
    {"UPS-MIB", "upsConfigLowVoltageTransferPoint", "1.3.6.1.2.1.33.1.9.9", O, ""},
    {"UPS-MIB", "upsConfigHighVoltageTransferPoint", "1.3.6.1.2.1.33.1.9.10", O, ""},
    // BGP4-MIB (RFC 4273): the notifications under bgp.0 and the deprecated ones under bgpTraps
    // (RFC 1657)
    {"BGP4-MIB", "bgpEstablishedNotification", "1.3.6.1.2.1.15.0.1", N, ""},
    {"BGP4-MIB", "bgpBackwardTransNotification", "1.3.6.1.2.1.15.0.2", N, ""},
    {"BGP4-MIB", "bgpEstablished", "1.3.6.1.2.1.15.7.1", N, ""},
    {"BGP4-MIB", "bgpBackwardTransition", "1.3.6.1.2.1.15.7.2", N, ""},
    {"BGP4-MIB", "bgpVersion", "1.3.6.1.2.1.15.1", O, ""},
    {"BGP4-MIB", "bgpLocalAs", "1.3.6.1.2.1.15.2", O, ""},
    {"BGP4-MIB", "bgpIdentifier", "1.3.6.1.2.1.15.4", O, ""},
    {"BGP4-MIB", "bgpPeerIdentifier", "1.3.6.1.2.1.15.3.1.1", O, ""},
    {"BGP4-MIB", "bgpPeerState", "1.3.6.1.2.1.15.3.1.2", O,
     "idle(1) connect(2) active(3) opensent(4) openconfirm(5) established(6)"},
    {"BGP4-MIB", "bgpPeerAdminStatus", "1.3.6.1.2.1.15.3.1.3", O, "stop(1) start(2)"},
    {"BGP4-MIB", "bgpPeerNegotiatedVersion", "1.3.6.1.2.1.15.3.1.4", O, ""},
    {"BGP4-MIB", "bgpPeerLocalAddr", "1.3.6.1.2.1.15.3.1.5", O, ""},
    {"BGP4-MIB", "bgpPeerLocalPort", "1.3.6.1.2.1.15.3.1.6", O, ""},
    {"BGP4-MIB", "bgpPeerRemoteAddr", "1.3.6.1.2.1.15.3.1.7", O, ""},
    {"BGP4-MIB", "bgpPeerRemotePort", "1.3.6.1.2.1.15.3.1.8", O, ""},
    {"BGP4-MIB", "bgpPeerRemoteAs", "1.3.6.1.2.1.15.3.1.9", O, ""},
    {"BGP4-MIB", "bgpPeerInUpdates", "1.3.6.1.2.1.15.3.1.10", O, ""},
    {"BGP4-MIB", "bgpPeerOutUpdates", "1.3.6.1.2.1.15.3.1.11", O, ""},
    {"BGP4-MIB", "bgpPeerInTotalMessages", "1.3.6.1.2.1.15.3.1.12", O, ""},
    {"BGP4-MIB", "bgpPeerOutTotalMessages", "1.3.6.1.2.1.15.3.1.13", O, ""},
    {"BGP4-MIB", "bgpPeerLastError", "1.3.6.1.2.1.15.3.1.14", O, ""},
    {"BGP4-MIB", "bgpPeerFsmEstablishedTransitions", "1.3.6.1.2.1.15.3.1.15", O, ""},
    {"BGP4-MIB", "bgpPeerFsmEstablishedTime", "1.3.6.1.2.1.15.3.1.16", O, ""},
    {"BGP4-MIB", "bgpPeerConnectRetryInterval", "1.3.6.1.2.1.15.3.1.17", O, ""},
    {"BGP4-MIB", "bgpPeerHoldTime", "1.3.6.1.2.1.15.3.1.18", O, ""},
    {"BGP4-MIB", "bgpPeerKeepAlive", "1.3.6.1.2.1.15.3.1.19", O, ""},
    {"BGP4-MIB", "bgpPeerHoldTimeConfigured", "1.3.6.1.2.1.15.3.1.20", O, ""},
    {"BGP4-MIB", "bgpPeerKeepAliveConfigured", "1.3.6.1.2.1.15.3.1.21", O, ""},
    {"BGP4-MIB", "bgpPeerMinASOriginationInterval", "1.3.6.1.2.1.15.3.1.22", O, ""},
    {"BGP4-MIB", "bgpPeerMinRouteAdvertisementInterval", "1.3.6.1.2.1.15.3.1.23", O, ""},
    {"BGP4-MIB", "bgpPeerInUpdateElapsedTime", "1.3.6.1.2.1.15.3.1.24", O, ""},
    // OSPF-MIB (RFC 4750)
    {"OSPF-MIB", "ospfRouterId", "1.3.6.1.2.1.14.1.1", O, ""},
    {"OSPF-MIB", "ospfIfIpAddress", "1.3.6.1.2.1.14.7.1.1", O, ""},
    {"OSPF-MIB", "ospfAddressLessIf", "1.3.6.1.2.1.14.7.1.2", O, ""},
    {"OSPF-MIB", "ospfIfAreaId", "1.3.6.1.2.1.14.7.1.3", O, ""},
    {"OSPF-MIB", "ospfIfState", "1.3.6.1.2.1.14.7.1.12", O,
     "down(1) loopback(2) waiting(3) pointToPoint(4) designatedRouter(5) backupDesignatedRouter(6) "
     "otherDesignatedRouter(7)"},
    {"OSPF-MIB", "ospfVirtIfAreaId", "1.3.6.1.2.1.14.9.1.1", O, ""},
    {"OSPF-MIB", "ospfVirtIfNeighbor", "1.3.6.1.2.1.14.9.1.2", O, ""},
    {"OSPF-MIB", "ospfVirtIfState", "1.3.6.1.2.1.14.9.1.7", O, "down(1) pointToPoint(4)"},
    {"OSPF-MIB", "ospfNbrIpAddr", "1.3.6.1.2.1.14.10.1.1", O, ""},
    {"OSPF-MIB", "ospfNbrAddressLessIndex", "1.3.6.1.2.1.14.10.1.2", O, ""},
    {"OSPF-MIB", "ospfNbrRtrId", "1.3.6.1.2.1.14.10.1.3", O, ""},
    {"OSPF-MIB", "ospfNbrState", "1.3.6.1.2.1.14.10.1.6", O,
     "down(1) attempt(2) init(3) twoWay(4) exchangeStart(5) exchange(6) loading(7) full(8)"},
    {"OSPF-MIB", "ospfVirtNbrArea", "1.3.6.1.2.1.14.11.1.1", O, ""},
    {"OSPF-MIB", "ospfVirtNbrRtrId", "1.3.6.1.2.1.14.11.1.2", O, ""},
    {"OSPF-MIB", "ospfVirtNbrState", "1.3.6.1.2.1.14.11.1.5", O,
     "down(1) attempt(2) init(3) twoWay(4) exchangeStart(5) exchange(6) loading(7) full(8)"},
    // OSPF-TRAP-MIB (RFC 4750)
    {"OSPF-TRAP-MIB", "ospfSetTrap", "1.3.6.1.2.1.14.16.1.1", O, ""},
    {"OSPF-TRAP-MIB", "ospfConfigErrorType", "1.3.6.1.2.1.14.16.1.2", O,
     "badVersion(1) areaMismatch(2) unknownNbmaNbr(3) unknownVirtualNbr(4) authTypeMismatch(5) "
     "authFailure(6) netMaskMismatch(7) helloIntervalMismatch(8) deadIntervalMismatch(9) "
     "optionMismatch(10) mtuMismatch(11) duplicateRouterId(12) noError(13)"},
    {"OSPF-TRAP-MIB", "ospfPacketType", "1.3.6.1.2.1.14.16.1.3", O,
     "hello(1) dbDescript(2) lsReq(3) lsUpdate(4) lsAck(5) nullPacket(6)"},
    {"OSPF-TRAP-MIB", "ospfPacketSrc", "1.3.6.1.2.1.14.16.1.4", O, ""},
    {"OSPF-TRAP-MIB", "ospfVirtIfStateChange", "1.3.6.1.2.1.14.16.2.1", N, ""},
    {"OSPF-TRAP-MIB", "ospfNbrStateChange", "1.3.6.1.2.1.14.16.2.2", N, ""},
    {"OSPF-TRAP-MIB", "ospfVirtNbrStateChange", "1.3.6.1.2.1.14.16.2.3", N, ""},
    {"OSPF-TRAP-MIB", "ospfIfConfigError", "1.3.6.1.2.1.14.16.2.4", N, ""},
    {"OSPF-TRAP-MIB", "ospfVirtIfConfigError", "1.3.6.1.2.1.14.16.2.5", N, ""},
    {"OSPF-TRAP-MIB", "ospfIfAuthFailure", "1.3.6.1.2.1.14.16.2.6", N, ""},
    {"OSPF-TRAP-MIB", "ospfVirtIfAuthFailure", "1.3.6.1.2.1.14.16.2.7", N, ""},
    {"OSPF-TRAP-MIB", "ospfIfRxBadPacket", "1.3.6.1.2.1.14.16.2.8", N, ""},
    {"OSPF-TRAP-MIB", "ospfVirtIfRxBadPacket", "1.3.6.1.2.1.14.16.2.9", N, ""},
    {"OSPF-TRAP-MIB", "ospfTxRetransmit", "1.3.6.1.2.1.14.16.2.10", N, ""},
    {"OSPF-TRAP-MIB", "ospfVirtIfTxRetransmit", "1.3.6.1.2.1.14.16.2.11", N, ""},
    {"OSPF-TRAP-MIB", "ospfOriginateLsa", "1.3.6.1.2.1.14.16.2.12", N, ""},
    {"OSPF-TRAP-MIB", "ospfMaxAgeLsa", "1.3.6.1.2.1.14.16.2.13", N, ""},
    {"OSPF-TRAP-MIB", "ospfLsdbOverflow", "1.3.6.1.2.1.14.16.2.14", N, ""},
    {"OSPF-TRAP-MIB", "ospfLsdbApproachingOverflow", "1.3.6.1.2.1.14.16.2.15", N, ""},
    {"OSPF-TRAP-MIB", "ospfIfStateChange", "1.3.6.1.2.1.14.16.2.16", N, ""},
    // DISMAN-EVENT-MIB (RFC 2981)
    {"DISMAN-EVENT-MIB", "mteTriggerFired", "1.3.6.1.2.1.88.2.0.1", N, ""},
    {"DISMAN-EVENT-MIB", "mteTriggerRising", "1.3.6.1.2.1.88.2.0.2", N, ""},
    {"DISMAN-EVENT-MIB", "mteTriggerFalling", "1.3.6.1.2.1.88.2.0.3", N, ""},
    {"DISMAN-EVENT-MIB", "mteTriggerFailure", "1.3.6.1.2.1.88.2.0.4", N, ""},
    {"DISMAN-EVENT-MIB", "mteEventSetFailure", "1.3.6.1.2.1.88.2.0.5", N, ""},
    {"DISMAN-EVENT-MIB", "mteHotTrigger", "1.3.6.1.2.1.88.2.1.1", O, ""},
    {"DISMAN-EVENT-MIB", "mteHotTargetName", "1.3.6.1.2.1.88.2.1.2", O, ""},
    {"DISMAN-EVENT-MIB", "mteHotContextName", "1.3.6.1.2.1.88.2.1.3", O, ""},
    {"DISMAN-EVENT-MIB", "mteHotOID", "1.3.6.1.2.1.88.2.1.4", O, ""},
    {"DISMAN-EVENT-MIB", "mteHotValue", "1.3.6.1.2.1.88.2.1.5", O, ""},
    {"DISMAN-EVENT-MIB", "mteFailedReason", "1.3.6.1.2.1.88.2.1.6", O,
     "localResourceLack(-1) badDestination(-2) destinationUnreachable(-3) noResponse(-4) "
     "badType(-5) "
     "sampleOverrun(-6) noError(0) tooBig(1) noSuchName(2) badValue(3) readOnly(4) genErr(5) "
     "noAccess(6) wrongType(7) wrongLength(8) wrongEncoding(9) wrongValue(10) noCreation(11) "
     "inconsistentValue(12) resourceUnavailable(13) commitFailed(14) undoFailed(15) "
     "authorizationError(16) notWritable(17) inconsistentName(18)"},
    // HOST-RESOURCES-MIB (RFC 2790)
    {"HOST-RESOURCES-MIB", "hrSystemUptime", "1.3.6.1.2.1.25.1.1", O, ""},
    {"HOST-RESOURCES-MIB", "hrSystemDate", "1.3.6.1.2.1.25.1.2", O, ""},
    {"HOST-RESOURCES-MIB", "hrSystemNumUsers", "1.3.6.1.2.1.25.1.5", O, ""},
    {"HOST-RESOURCES-MIB", "hrSystemProcesses", "1.3.6.1.2.1.25.1.6", O, ""},
    {"HOST-RESOURCES-MIB", "hrSystemMaxProcesses", "1.3.6.1.2.1.25.1.7", O, ""},
    {"HOST-RESOURCES-MIB", "hrMemorySize", "1.3.6.1.2.1.25.2.2", O, ""},
    {"HOST-RESOURCES-MIB", "hrStorageIndex", "1.3.6.1.2.1.25.2.3.1.1", O, ""},
    {"HOST-RESOURCES-MIB", "hrStorageType", "1.3.6.1.2.1.25.2.3.1.2", O, ""},
    {"HOST-RESOURCES-MIB", "hrStorageDescr", "1.3.6.1.2.1.25.2.3.1.3", O, ""},
    {"HOST-RESOURCES-MIB", "hrStorageAllocationUnits", "1.3.6.1.2.1.25.2.3.1.4", O, ""},
    {"HOST-RESOURCES-MIB", "hrStorageSize", "1.3.6.1.2.1.25.2.3.1.5", O, ""},
    {"HOST-RESOURCES-MIB", "hrStorageUsed", "1.3.6.1.2.1.25.2.3.1.6", O, ""},
    {"HOST-RESOURCES-MIB", "hrStorageAllocationFailures", "1.3.6.1.2.1.25.2.3.1.7", O, ""},
    {"HOST-RESOURCES-MIB", "hrDeviceIndex", "1.3.6.1.2.1.25.3.2.1.1", O, ""},
    {"HOST-RESOURCES-MIB", "hrDeviceType", "1.3.6.1.2.1.25.3.2.1.2", O, ""},
    {"HOST-RESOURCES-MIB", "hrDeviceDescr", "1.3.6.1.2.1.25.3.2.1.3", O, ""},
    {"HOST-RESOURCES-MIB", "hrDeviceID", "1.3.6.1.2.1.25.3.2.1.4", O, ""},
    {"HOST-RESOURCES-MIB", "hrDeviceStatus", "1.3.6.1.2.1.25.3.2.1.5", O,
     "unknown(1) running(2) warning(3) testing(4) down(5)"},
    {"HOST-RESOURCES-MIB", "hrDeviceErrors", "1.3.6.1.2.1.25.3.2.1.6", O, ""},
    {"HOST-RESOURCES-MIB", "hrProcessorFrwID", "1.3.6.1.2.1.25.3.3.1.1", O, ""},
    {"HOST-RESOURCES-MIB", "hrProcessorLoad", "1.3.6.1.2.1.25.3.3.1.2", O, ""},
    {"HOST-RESOURCES-MIB", "hrSWRunIndex", "1.3.6.1.2.1.25.4.2.1.1", O, ""},
    {"HOST-RESOURCES-MIB", "hrSWRunName", "1.3.6.1.2.1.25.4.2.1.2", O, ""},
    {"HOST-RESOURCES-MIB", "hrSWRunID", "1.3.6.1.2.1.25.4.2.1.3", O, ""},
    {"HOST-RESOURCES-MIB", "hrSWRunPath", "1.3.6.1.2.1.25.4.2.1.4", O, ""},
    {"HOST-RESOURCES-MIB", "hrSWRunParameters", "1.3.6.1.2.1.25.4.2.1.5", O, ""},
    {"HOST-RESOURCES-MIB", "hrSWRunType", "1.3.6.1.2.1.25.4.2.1.6", O,
     "unknown(1) operatingSystem(2) deviceDriver(3) application(4)"},
    {"HOST-RESOURCES-MIB", "hrSWRunStatus", "1.3.6.1.2.1.25.4.2.1.7", O,
     "running(1) runnable(2) notRunnable(3) invalid(4)"},
    {"HOST-RESOURCES-MIB", "hrSWRunPerfCPU", "1.3.6.1.2.1.25.5.1.1.1", O, ""},
    {"HOST-RESOURCES-MIB", "hrSWRunPerfMem", "1.3.6.1.2.1.25.5.1.1.2", O, ""},
    // HOST-RESOURCES-TYPES (RFC 2790): hrStorageType values
    {"HOST-RESOURCES-TYPES", "hrStorageOther", "1.3.6.1.2.1.25.2.1.1", I, ""},
    {"HOST-RESOURCES-TYPES", "hrStorageRam", "1.3.6.1.2.1.25.2.1.2", I, ""},
    {"HOST-RESOURCES-TYPES", "hrStorageVirtualMemory", "1.3.6.1.2.1.25.2.1.3", I, ""},
    {"HOST-RESOURCES-TYPES", "hrStorageFixedDisk", "1.3.6.1.2.1.25.2.1.4", I, ""},
    {"HOST-RESOURCES-TYPES", "hrStorageRemovableDisk", "1.3.6.1.2.1.25.2.1.5", I, ""},
    {"HOST-RESOURCES-TYPES", "hrStorageFloppyDisk", "1.3.6.1.2.1.25.2.1.6", I, ""},
    {"HOST-RESOURCES-TYPES", "hrStorageCompactDisc", "1.3.6.1.2.1.25.2.1.7", I, ""},
    {"HOST-RESOURCES-TYPES", "hrStorageRamDisk", "1.3.6.1.2.1.25.2.1.8", I, ""},
    {"HOST-RESOURCES-TYPES", "hrStorageFlashMemory", "1.3.6.1.2.1.25.2.1.9", I, ""},
    {"HOST-RESOURCES-TYPES", "hrStorageNetworkDisk", "1.3.6.1.2.1.25.2.1.10", I, ""},
    // BRIDGE-MIB (RFC 4188)
    {"BRIDGE-MIB", "newRoot", "1.3.6.1.2.1.17.0.1", N, ""},
    {"BRIDGE-MIB", "topologyChange", "1.3.6.1.2.1.17.0.2", N, ""},
    {"BRIDGE-MIB", "dot1dBaseBridgeAddress", "1.3.6.1.2.1.17.1.1", O, ""},
    {"BRIDGE-MIB", "dot1dBasePort", "1.3.6.1.2.1.17.1.4.1.1", O, ""},
    {"BRIDGE-MIB", "dot1dBasePortIfIndex", "1.3.6.1.2.1.17.1.4.1.2", O, ""},
    {"BRIDGE-MIB", "dot1dStpDesignatedRoot", "1.3.6.1.2.1.17.2.5", O, ""},
    {"BRIDGE-MIB", "dot1dStpPortState", "1.3.6.1.2.1.17.2.15.1.3", O,
     "disabled(1) blocking(2) listening(3) learning(4) forwarding(5) broken(6)"},
    // RMON-MIB (RFC 2819)
    {"RMON-MIB", "risingAlarm", "1.3.6.1.2.1.16.0.1", N, ""},
    {"RMON-MIB", "fallingAlarm", "1.3.6.1.2.1.16.0.2", N, ""},
    {"RMON-MIB", "alarmIndex", "1.3.6.1.2.1.16.3.1.1.1", O, ""},
    {"RMON-MIB", "alarmInterval", "1.3.6.1.2.1.16.3.1.1.2", O, ""},
    {"RMON-MIB", "alarmVariable", "1.3.6.1.2.1.16.3.1.1.3", O, ""},
    {"RMON-MIB", "alarmSampleType", "1.3.6.1.2.1.16.3.1.1.4", O, "absoluteValue(1) deltaValue(2)"},
    {"RMON-MIB", "alarmValue", "1.3.6.1.2.1.16.3.1.1.5", O, ""},
    {"RMON-MIB", "alarmRisingThreshold", "1.3.6.1.2.1.16.3.1.1.7", O, ""},
    {"RMON-MIB", "alarmFallingThreshold", "1.3.6.1.2.1.16.3.1.1.8", O, ""},
    // NET-SNMP-AGENT-MIB: net-snmp's snmpd start/stop notifications
    {"NET-SNMP-AGENT-MIB", "nsNotifyStart", "1.3.6.1.4.1.8072.4.0.1", N, ""},
    {"NET-SNMP-AGENT-MIB", "nsNotifyShutdown", "1.3.6.1.4.1.8072.4.0.2", N, ""},
    {"NET-SNMP-AGENT-MIB", "nsNotifyRestart", "1.3.6.1.4.1.8072.4.0.3", N, ""},
};

}  // namespace

std::span<const BuiltinName> builtin_names() { return kNames; }

}  // namespace ticketd::ingest::snmp
