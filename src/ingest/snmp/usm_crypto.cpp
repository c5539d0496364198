#include "ingest/snmp/usm_crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <memory>

namespace ticketd::ingest::snmp {
namespace {

const EVP_MD* digest_of(SnmpAuthProtocol p) {
  switch (p) {
    case SnmpAuthProtocol::kMd5:
      return EVP_md5();
    case SnmpAuthProtocol::kSha1:
      return EVP_sha1();
    case SnmpAuthProtocol::kSha224:
      return EVP_sha224();
    case SnmpAuthProtocol::kSha256:
      return EVP_sha256();
    case SnmpAuthProtocol::kSha384:
      return EVP_sha384();
    case SnmpAuthProtocol::kSha512:
      return EVP_sha512();
    case SnmpAuthProtocol::kNone:
      break;
  }
  return nullptr;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

std::string hash(SnmpAuthProtocol p, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, digest_of(p), nullptr);
  return std::string(reinterpret_cast<const char*>(out), n);
}

}  // namespace

size_t auth_key_length(SnmpAuthProtocol p) {
  switch (p) {
    case SnmpAuthProtocol::kMd5:
      return 16;
    case SnmpAuthProtocol::kSha1:
      return 20;
    case SnmpAuthProtocol::kSha224:
      return 28;
    case SnmpAuthProtocol::kSha256:
      return 32;
    case SnmpAuthProtocol::kSha384:
      return 48;
    case SnmpAuthProtocol::kSha512:
      return 64;
    case SnmpAuthProtocol::kNone:
      break;
  }
  return 0;
}

size_t auth_digest_length(SnmpAuthProtocol p) {
  switch (p) {
    case SnmpAuthProtocol::kMd5:
    case SnmpAuthProtocol::kSha1:
      return 12;
    case SnmpAuthProtocol::kSha224:
      return 16;
    case SnmpAuthProtocol::kSha256:
      return 24;
    case SnmpAuthProtocol::kSha384:
      return 32;
    case SnmpAuthProtocol::kSha512:
      return 48;
    case SnmpAuthProtocol::kNone:
      break;
  }
  return 0;
}

size_t priv_key_length(SnmpPrivProtocol p) {
  switch (p) {
    case SnmpPrivProtocol::kAes128:
      return 16;
    case SnmpPrivProtocol::kAes192:
      return 24;
    case SnmpPrivProtocol::kAes256:
      return 32;
    case SnmpPrivProtocol::kNone:
      break;
  }
  return 0;
}

std::string password_to_key(SnmpAuthProtocol p, std::string_view passphrase) {
  constexpr size_t kTotal = 1048576;
  // The passphrase repeated over 64 copies: a whole number of periods, so
  // feeding the block again and again continues the repetition.
  std::string block;
  block.reserve(64 * passphrase.size());
  for (int i = 0; i < 64; ++i) block.append(passphrase);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), digest_of(p), nullptr);
  size_t left = kTotal;
  while (left > 0) {
    const size_t n = std::min(left, block.size());
    EVP_DigestUpdate(ctx.get(), block.data(), n);
    left -= n;
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), out, &n);
  return std::string(reinterpret_cast<const char*>(out), n);
}

std::string localize_key(SnmpAuthProtocol p, std::string_view ku, std::string_view engine_id) {
  std::string buf;
  buf.reserve(2 * ku.size() + engine_id.size());
  buf.append(ku).append(engine_id).append(ku);
  return hash(p, buf);
}

std::string priv_key_for(SnmpAuthProtocol auth, SnmpPrivProtocol priv, std::string kul) {
  const size_t need = priv_key_length(priv);
  if (priv != SnmpPrivProtocol::kAes128) {
    while (kul.size() < need) kul += hash(auth, kul);
  }
  kul.resize(need);
  return kul;
}

std::string auth_digest(SnmpAuthProtocol p, std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(digest_of(p), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &n);
  return std::string(reinterpret_cast<const char*>(out),
                     std::min<size_t>(n, auth_digest_length(p)));
}

bool aes_cfb(bool encrypt, std::string_view key, uint32_t boots, uint32_t time,
             std::string_view salt, std::string_view in, std::string* out) {
  const EVP_CIPHER* cipher = key.size() == 16   ? EVP_aes_128_cfb128()
                             : key.size() == 24 ? EVP_aes_192_cfb128()
                             : key.size() == 32 ? EVP_aes_256_cfb128()
                                                : nullptr;
  if (cipher == nullptr || salt.size() != 8) return false;
  unsigned char iv[16];
  for (int i = 0; i < 4; ++i) {
    iv[i] = static_cast<unsigned char>(boots >> (24 - 8 * i));
    iv[4 + i] = static_cast<unsigned char>(time >> (24 - 8 * i));
  }
  for (int i = 0; i < 8; ++i) iv[8 + i] = static_cast<unsigned char>(salt[i]);
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex(ctx.get(), cipher, nullptr,
                                reinterpret_cast<const unsigned char*>(key.data()), iv,
                                encrypt ? 1 : 0) != 1) {
    return false;
  }
  out->assign(in.size() + 16, '\0');
  int n1 = 0;
  int n2 = 0;
  auto* o = reinterpret_cast<unsigned char*>(out->data());
  if (EVP_CipherUpdate(ctx.get(), o, &n1, reinterpret_cast<const unsigned char*>(in.data()),
                       static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), o + n1, &n2) != 1) {
    return false;
  }
  out->resize(static_cast<size_t>(n1 + n2));
  return true;
}

}  // namespace ticketd::ingest::snmp
