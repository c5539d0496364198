// HTTPS on the API (api.tls_cert / api.tls_key): the real daemon with a
// self-signed certificate, spoken to by libcurl, openssl s_client and
// ticketctl --cacert; --check-config errors that name the key.
#include "harness.hpp"

namespace {

using namespace ticketd_test;

const std::string kDisk =
    R"({"host":"db01","severity":"error","message":"write failed: No space left on sda1"})";

// A self-signed certificate for localhost and 127.0.0.1 in `dir`.
bool make_certificate(const fs::path& dir) {
  return run("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
             "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
             (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string())
             .first == 0;
}

// One TLS handshake with openssl s_client and these options; {exit code, output}.
std::pair<int, std::string> s_client(const Daemon& d, const std::string& options) {
  return run("openssl s_client -connect 127.0.0.1:" + std::to_string(d.port()) + " -CAfile " +
             d.cacert() + " " + options + " </dev/null");
}

TEST(ApiTls, ServesTheApiOverHttpsOnly) {
  Daemon d("api: { tls_cert: cert.pem, tls_key: key.pem }\n");  // relative to the config file
  ASSERT_TRUE(make_certificate(d.dir()));
  const std::string cert = (d.dir() / "cert.pem").string();
  d.use_https(cert);
  ASSERT_TRUE(d.start()) << d.log();
  const std::string https_url = "https://127.0.0.1:" + std::to_string(d.port());
  EXPECT_NE(d.log().find("http: listening on " + https_url + "\n"), std::string::npos) << d.log();

  // An event over HTTPS is accepted and stored.
  EXPECT_EQ(d.post(kDisk).status, 202);
  json list = d.tickets();
  ASSERT_EQ(list["tickets"].size(), 1u) << list.dump();
  EXPECT_EQ(list["tickets"][0]["key"], "INC-000001");
  EXPECT_EQ(list["tickets"][0]["title"], "Disk sda1 full on db01");
  EXPECT_EQ(metric(d, "ticketd_tickets_opened_total"), "1");  // /metrics too

  // Plain HTTP on the HTTPS port: the handshake fails, no answer at all.
  Reply plain = http("GET", "http://127.0.0.1:" + std::to_string(d.port()) + "/api/v1/tickets");
  EXPECT_EQ(plain.status, 0);
  EXPECT_EQ(plain.body, "");
  // Not trusting the certificate: refused by the client.
  EXPECT_EQ(http("GET", d.url("/healthz")).status, 0);

  // TLS 1.1 is refused even by a client that offers it; TLS 1.2 gets an
  // ECDHE AEAD suite; a TLS 1.2 suite without forward secrecy is refused.
  auto [rc11, out11] = s_client(d, "-tls1_1 -cipher DEFAULT@SECLEVEL=0");
  EXPECT_NE(rc11, 0) << out11;
  EXPECT_EQ(out11.find("New, TLSv1.1"), std::string::npos) << out11;
  auto [rc12, out12] = s_client(d, "-tls1_2");
  EXPECT_EQ(rc12, 0) << out12;
  EXPECT_NE(out12.find("Protocol  : TLSv1.2"), std::string::npos) << out12;
  EXPECT_NE(out12.find("Cipher    : ECDHE-RSA-AES128-GCM-SHA256"), std::string::npos) << out12;
  EXPECT_NE(out12.find("Compression: NONE"), std::string::npos) << out12;
  EXPECT_NE(out12.find("Verify return code: 0 (ok)"), std::string::npos) << out12;
  auto [rc_rsa, out_rsa] = s_client(d, "-tls1_2 -cipher AES128-GCM-SHA256");
  EXPECT_NE(rc_rsa, 0) << out_rsa;
  auto [rc13, out13] = s_client(d, "-tls1_3");
  EXPECT_EQ(rc13, 0) << out13;
  EXPECT_NE(out13.find("New, TLSv1.3, Cipher is TLS_"), std::string::npos) << out13;

  // ticketctl trusts the private CA with --cacert or TICKETD_CACERT.
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + https_url;
  auto [rc, out] = run(ctl + " --cacert " + cert + " tickets list");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("INC-000001"), std::string::npos) << out;
  EXPECT_NE(out.find("Disk sda1 full on db01"), std::string::npos) << out;
  auto [rc_env, out_env] = run("TICKETD_CACERT=" + cert + " " + ctl + " tickets list");
  EXPECT_EQ(rc_env, 0) << out_env;
  EXPECT_NE(out_env.find("INC-000001"), std::string::npos) << out_env;
  // Without it the certificate is not trusted, and the error says what to do.
  auto [rc_untrusted, out_untrusted] = run(ctl + " tickets list");
  EXPECT_NE(rc_untrusted, 0) << out_untrusted;
  EXPECT_NE(out_untrusted.find("--cacert FILE or $TICKETD_CACERT"), std::string::npos)
      << out_untrusted;
  EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(ApiTls, CheckConfigNamesTheKey) {
  const std::string check_suffix = " --check-config 2>&1 >/dev/null; }";
  {
    Daemon d("api:\n  tls_cert: cert.pem\n");
    auto [rc, err] =
        run("{ " + std::string(TICKETD_BIN) + " --config " + d.config() + check_suffix);
    EXPECT_EQ(rc, 1) << err;
    EXPECT_EQ(err, "ticketd: " + d.config() +
                       ":6: HTTPS on the API needs both api.tls_cert and api.tls_key\n");
  }
  {
    Daemon d("api:\n  tls_cert: cert.pem\n  tls_key: key.pem\n");
    std::ofstream(d.dir() / "cert.pem") << "not a certificate\n";
    std::ofstream(d.dir() / "key.pem") << "not a key\n";
    auto [rc, err] =
        run("{ " + std::string(TICKETD_BIN) + " --config " + d.config() + check_suffix);
    EXPECT_EQ(rc, 1) << err;
    EXPECT_EQ(err, d.config() + ":6: \"api.tls_cert\" is \"" + (d.dir() / "cert.pem").string() +
                       "\": not a PEM certificate\n");
  }
  {
    Daemon d("api:\n  tls_cert: cert.pem\n  tls_key: key.pem\n");
    ASSERT_TRUE(make_certificate(d.dir()));
    std::ofstream(d.dir() / "key.pem") << "not a key\n";
    auto [rc, err] =
        run("{ " + std::string(TICKETD_BIN) + " --config " + d.config() + check_suffix);
    EXPECT_EQ(rc, 1) << err;
    EXPECT_EQ(err, d.config() + ":7: \"api.tls_key\" is \"" + (d.dir() / "key.pem").string() +
                       "\": not an unencrypted PEM private key\n");
  }
}

}  // namespace
