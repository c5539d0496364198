# Installation (`cmake --install`) and the Debian package (`cpack`, or
# `make package`), included by the top-level CMakeLists.txt.
#
#   bin/ticketd, bin/ticketctl
#   share/man/man{1,5,8}/       from docs/man/*.md when pandoc is found (gzip)
#   share/doc/ticketd/          README.md, docs/, examples/ticketd.yaml
#   /etc/ticketd/ticketd.yaml   systemd/ticketd.default.yaml  } never over an
#   /etc/ticketd/rules/*.yaml   rules/*.yaml                  } existing file
#   <unit dir>/ticketd.service  systemd/ticketd.service, its paths set from
#                               the prefix given at install time
# /var/lib/ticketd is not installed: the unit's StateDirectory= makes it.
# The /etc files and the unit are placed by cmake/install_system.cmake, since
# where they go depends on the prefix chosen at install time (--prefix, or
# /usr for the package): /usr and /usr/local use /etc/ticketd and the system's
# unit directory (/lib/systemd/system for /usr, /usr/local/lib/systemd/system);
# any other prefix P (a staging tree) gets P/etc/ticketd and P/lib/systemd/system.
include(GNUInstallDirs)

install(TARGETS ticketd ticketctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Man pages: docs/man/NAME.SECTION.md (pandoc's man-page Markdown) becomes
# NAME.SECTION.gz (compressed as Debian's policy asks), built with the
# default target when pandoc is found.
set(TICKETD_MAN_SOURCES ${PROJECT_SOURCE_DIR}/docs/man CACHE PATH "Directory of the man pages' Markdown sources")
file(GLOB ticketd_man_sources CONFIGURE_DEPENDS ${TICKETD_MAN_SOURCES}/*.md)
find_program(PANDOC_PROGRAM pandoc)
if(ticketd_man_sources AND NOT PANDOC_PROGRAM)
  message(STATUS "pandoc not found: man pages are not built (scripts/install-deps.sh package installs it)")
elseif(ticketd_man_sources)
  set(ticketd_man_pages)
  foreach(source ${ticketd_man_sources})
    get_filename_component(page ${source} NAME_WLE)      # ticketd.8
    string(REGEX MATCH "[1-8]$" section ${page})
    if(NOT section)
      message(FATAL_ERROR "${source}: expected NAME.SECTION.md (e.g. ticketd.8.md)")
    endif()
    set(out ${PROJECT_BINARY_DIR}/man/${page}.gz)
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${PANDOC_PROGRAM} --standalone --from markdown --to man --output ${PROJECT_BINARY_DIR}/man/${page} ${source}
      COMMAND gzip -9nf ${PROJECT_BINARY_DIR}/man/${page}
      DEPENDS ${source}
      COMMENT "Man page ${page}"
      VERBATIM)
    list(APPEND ticketd_man_pages ${out})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(ticketd_man ALL DEPENDS ${ticketd_man_pages})
endif()
if(NOT TARGET ticketd_man)
  add_custom_target(ticketd_man)
endif()

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Bash completion (`ticketctl completion bash` writes the same script).
install(FILES contrib/bash-completion/ticketctl DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs PATTERN man EXCLUDE)
install(FILES systemd/ticketd.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

pkg_get_variable(ticketd_systemd_unit_dir systemd systemdsystemunitdir)
if(NOT ticketd_systemd_unit_dir)
  set(ticketd_systemd_unit_dir /lib/systemd/system)
endif()
set(TICKETD_SYSTEMD_UNIT_DIR ${ticketd_systemd_unit_dir} CACHE PATH
  "systemd's unit directory for the prefix /usr (the package)")
file(GLOB ticketd_rule_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/rules/*.yaml)
install(CODE "
  set(ticketd_source_dir \"${PROJECT_SOURCE_DIR}\")
  set(ticketd_binary_dir \"${PROJECT_BINARY_DIR}\")
  set(ticketd_bindir \"${CMAKE_INSTALL_BINDIR}\")
  set(ticketd_docdir \"${CMAKE_INSTALL_DOCDIR}\")
  set(ticketd_usr_unit_dir \"${TICKETD_SYSTEMD_UNIT_DIR}\")
  set(ticketd_rule_files \"${ticketd_rule_files}\")")
install(SCRIPT cmake/install_system.cmake)

# The Debian package: `cpack` in the build directory (or `make package`)
# writes ticketd_VERSION_ARCH.deb. Its Depends come from dpkg-shlibdeps
# (dpkg-dev) over the binaries; the /etc files are conffiles, so dpkg keeps an
# edited one; the maintainer scripts enable and start the unit as
# dh_installsystemd's would (DynamicUser= needs no system user).
set(ticketd_conffiles "/etc/ticketd/ticketd.yaml\n")
foreach(rule ${ticketd_rule_files})
  get_filename_component(name ${rule} NAME)
  string(APPEND ticketd_conffiles "/etc/ticketd/rules/${name}\n")
endforeach()
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/debian/conffiles CONTENT "${ticketd_conffiles}")

set(TICKETD_PACKAGE_MAINTAINER "ticketd maintainers <root@localhost>" CACHE STRING
  "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ticketd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${TICKETD_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "turns machine alerts into well-kept IT tickets")
set(CPACK_PACKAGE_DESCRIPTION "ticketd receives syslog, SNMP traps and webhook alerts, \
correlates them by rules into incidents and problems, and keeps the tickets \
in step with Jira, ServiceNow, Request Tracker, Zammad, Redmine, GLPI or any \
webhook. Includes ticketctl, its command-line client, and a hardened systemd unit.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)   # with CPACK_SET_DESTDIR: the prefix install_system.cmake sees
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_BINARY_DIR}/debian/conffiles
  ${PROJECT_SOURCE_DIR}/cmake/debian/postinst
  ${PROJECT_SOURCE_DIR}/cmake/debian/prerm
  ${PROJECT_SOURCE_DIR}/cmake/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
