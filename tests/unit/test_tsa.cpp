#include "cbkit/error.hpp"
#include "cbkit/tsa/rfc3161.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/verify/token_check.hpp"
#include "tmpdir.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <memory>

using namespace cbkit;
using cbkit::test::TempDir;
using cbkit::test::write_file;

namespace {

// A small in-process PKI and TSA (OpenSSL's TS_RESP_CTX), so the tests need no server.
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key new_key() { return Key(EVP_EC_gen("P-256")); }

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named CN=`cn`, signed by issuer_key (self-signed when issuer is null).
Cert new_cert(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca, const char* eku, long serial) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600L * 24 * 365);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("cbkit unit"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), key);
  X509* iss = issuer != nullptr ? issuer : cert.get();
  add_ext(cert.get(), iss, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_ext(cert.get(), iss, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
  add_ext(cert.get(), iss, NID_subject_key_identifier, "hash");
  if (eku != nullptr) add_ext(cert.get(), iss, NID_ext_key_usage, eku);
  REQUIRE(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0);
  return cert;
}

std::string pem_of(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

struct Pki {
  Key ca_key = new_key();
  Cert ca = new_cert("unit root", ca_key.get(), nullptr, nullptr, true, nullptr, 1);
  Key tsa_key = new_key();
  Cert tsa = new_cert("unit TSA", tsa_key.get(), ca.get(), ca_key.get(), false, "critical,timeStamping", 2);
  Key other_key = new_key();
  Cert other_ca = new_cert("other root", other_key.get(), nullptr, nullptr, true, nullptr, 3);

  // A TimeStampResp (DER) for the request `request_der`, made by OpenSSL's TS_RESP_CTX.
  // `with_sha256` false leaves SHA-256 out of the accepted digests: a rejection (badAlg).
  std::string respond(const std::string& request_der, X509* signer = nullptr, EVP_PKEY* signer_key = nullptr,
                      bool with_sha256 = true) const {
    TS_RESP_CTX* ctx = TS_RESP_CTX_new();
    REQUIRE(TS_RESP_CTX_set_signer_cert(ctx, signer != nullptr ? signer : tsa.get()) == 1);
    REQUIRE(TS_RESP_CTX_set_signer_key(ctx, signer_key != nullptr ? signer_key : tsa_key.get()) == 1);
    STACK_OF(X509)* certs = sk_X509_new_null();
    sk_X509_push(certs, ca.get());
    TS_RESP_CTX_set_certs(ctx, certs); // copies
    sk_X509_free(certs);
    ASN1_OBJECT* policy = OBJ_txt2obj("1.3.6.1.4.1.99999.7", 1);
    TS_RESP_CTX_set_def_policy(ctx, policy);
    ASN1_OBJECT_free(policy);
    if (with_sha256) TS_RESP_CTX_add_md(ctx, EVP_sha256());
    TS_RESP_CTX_add_md(ctx, EVP_sha512());
    TS_RESP_CTX_set_accuracy(ctx, 1, 500, 0);
    TS_RESP_CTX_set_clock_precision_digits(ctx, 6);
    TS_RESP_CTX_add_flags(ctx, TS_TSA_NAME);
    BIO* in = BIO_new_mem_buf(request_der.data(), static_cast<int>(request_der.size()));
    TS_RESP* resp = TS_RESP_create_response(ctx, in);
    BIO_free(in);
    REQUIRE(resp != nullptr);
    unsigned char* der = nullptr;
    const int n = i2d_TS_RESP(resp, &der);
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    TS_RESP_free(resp);
    TS_RESP_CTX_free(ctx);
    return out;
  }
};

const std::string k_hash = util::sha256_hex("the head of a case");
const std::string k_other = util::sha256_hex("another line");

// The bare TimeStampToken (CMS SignedData) inside a TimeStampResp.
std::string bare_token(const std::string& resp_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(resp_der.data());
  TS_RESP* resp = d2i_TS_RESP(nullptr, &p, static_cast<long>(resp_der.size()));
  REQUIRE(resp != nullptr);
  unsigned char* der = nullptr;
  const int n = i2d_PKCS7(TS_RESP_get_token(resp), &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  TS_RESP_free(resp);
  return out;
}

} // namespace

TEST_CASE("tsa: a request is SHA-256 over the given hash, with a fresh 64-bit nonce and certReq") {
  const tsa::Request r = tsa::make_request(k_hash);
  const auto* p = reinterpret_cast<const unsigned char*>(r.der.data());
  TS_REQ* req = d2i_TS_REQ(nullptr, &p, static_cast<long>(r.der.size()));
  REQUIRE(req != nullptr);
  CHECK(TS_REQ_get_version(req) == 1);
  CHECK(TS_REQ_get_cert_req(req) == 1);
  TS_MSG_IMPRINT* mi = TS_REQ_get_msg_imprint(req);
  const ASN1_OBJECT* alg = nullptr;
  X509_ALGOR_get0(&alg, nullptr, nullptr, TS_MSG_IMPRINT_get_algo(mi));
  CHECK(OBJ_obj2nid(alg) == NID_sha256);
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(mi);
  REQUIRE(ASN1_STRING_length(msg) == 32);
  CHECK(util::to_hex(ASN1_STRING_get0_data(msg), 32) == k_hash);
  BIGNUM* bn = ASN1_INTEGER_to_BN(TS_REQ_get_nonce(req), nullptr);
  CHECK(BN_num_bits(bn) <= 64);
  char* hex = BN_bn2hex(bn);
  std::string nonce_hex(hex);
  for (char& c : nonce_hex)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(nonce_hex == r.nonce_hex);
  OPENSSL_free(hex);
  BN_free(bn);
  TS_REQ_free(req);

  CHECK(tsa::make_request(k_hash).nonce_hex != r.nonce_hex);
  CHECK_THROWS_AS(tsa::make_request("ABC"), Error);
  CHECK_THROWS_AS(tsa::make_request(std::string(64, 'G')), Error);
}

TEST_CASE("tsa: a good token verifies and reads back; without a CA the chain is not checked") {
  Pki pki;
  const tsa::Request r = tsa::make_request(k_hash);
  const std::string resp = pki.respond(r.der);
  tsa::TokenInfo info;
  const tsa::Verification v = tsa::verify(resp, k_hash, r.nonce_hex, std::nullopt, "", &info);
  INFO(v.error);
  CHECK(v.ok);
  CHECK(v.parsed);
  CHECK(v.imprint_ok);
  CHECK(v.nonce_ok);
  CHECK(v.signature_ok);
  CHECK_FALSE(v.chain_checked);
  CHECK(v.error.empty());
  CHECK(info.imprint_sha256 == k_hash);
  CHECK(info.imprint_algorithm == "SHA256");
  CHECK(info.nonce == r.nonce_hex);
  CHECK(info.policy == "1.3.6.1.4.1.99999.7");
  CHECK(info.serial == "01");
  CHECK(info.accuracy == "1.500000 s");
  CHECK(info.signer_subject == "CN=unit TSA,O=cbkit unit");
  CHECK(info.signer_issuer == "CN=unit root,O=cbkit unit");
  CHECK(info.tsa_name == "CN=unit TSA,O=cbkit unit");
  // YYYY-MM-DDTHH:MM:SS[.f]Z with the digits the TSA gave (DER drops trailing zeros), close to now.
  REQUIRE(info.gen_time.size() >= 20);
  REQUIRE(info.gen_time.size() <= 27);
  CHECK(info.gen_time.substr(0, 19) == info.gen_time.substr(0, 4) + "-" + info.gen_time.substr(5, 2) + "-" + info.gen_time.substr(8, 2) +
                                           "T" + info.gen_time.substr(11, 2) + ":" + info.gen_time.substr(14, 2) + ":" +
                                           info.gen_time.substr(17, 2));
  CHECK(info.gen_time[10] == 'T');
  CHECK(info.gen_time.back() == 'Z');
  const auto now = static_cast<std::int64_t>(std::time(nullptr)) * 1000000;
  CHECK(std::llabs(info.gen_time_micros - now) < 120LL * 1000000);

  // The same token without nonce expectation, and as a bare TimeStampToken.
  CHECK(tsa::verify(resp, k_hash, std::nullopt, std::nullopt, "").ok);
  const tsa::Verification bare = tsa::verify(bare_token(resp), k_hash, r.nonce_hex, std::nullopt, "");
  INFO(bare.error);
  CHECK(bare.ok);

  // The chain it carries: the TSA certificate and the root.
  const std::string chain = tsa::embedded_chain_pem(resp);
  CHECK(chain == pem_of(pki.tsa.get()) + pem_of(pki.ca.get()));
  CHECK(tsa::embedded_chain_pem(bare_token(resp)) == chain);
}

TEST_CASE("tsa: --tsa-ca checks the chain: the right root passes, another root fails as untrusted") {
  TempDir t;
  Pki pki;
  write_file(t / "ca.pem", pem_of(pki.ca.get()));
  write_file(t / "other.pem", pem_of(pki.other_ca.get()));
  write_file(t / "tsa.pem", pem_of(pki.tsa.get()));
  write_file(t / "empty.pem", "not a certificate\n");
  const tsa::Request r = tsa::make_request(k_hash);
  const std::string resp = pki.respond(r.der);

  const tsa::Verification good = tsa::verify(resp, k_hash, r.nonce_hex, t / "ca.pem", "");
  INFO(good.error);
  CHECK(good.ok);
  CHECK(good.chain_checked);
  CHECK(good.chain_ok);

  // Pinning the TSA certificate itself is allowed (partial chain).
  CHECK(tsa::verify(resp, k_hash, r.nonce_hex, t / "tsa.pem", "").ok);

  const tsa::Verification wrong = tsa::verify(resp, k_hash, r.nonce_hex, t / "other.pem", "");
  CHECK_FALSE(wrong.ok);
  CHECK(wrong.signature_ok);
  CHECK(wrong.imprint_ok);
  CHECK(wrong.chain_checked);
  CHECK_FALSE(wrong.chain_ok);
  CHECK(wrong.error.find("does not chain to") != std::string::npos);
  CHECK(wrong.error.find("other.pem") != std::string::npos);

  const tsa::Verification unreadable = tsa::verify(resp, k_hash, r.nonce_hex, t / "empty.pem", "");
  CHECK_FALSE(unreadable.ok);
  CHECK_FALSE(unreadable.chain_ok);
  CHECK(unreadable.error.find("empty.pem") != std::string::npos);
  const tsa::Verification missing = tsa::verify(resp, k_hash, r.nonce_hex, t / "no-such.pem", "");
  CHECK_FALSE(missing.ok);
  CHECK(missing.chain_checked);
}

TEST_CASE("tsa: a token for another hash, another nonce or with a broken signature fails, never throws") {
  Pki pki;
  const tsa::Request r = tsa::make_request(k_hash);
  const std::string resp = pki.respond(r.der);

  const tsa::Verification other = tsa::verify(resp, k_other, r.nonce_hex, std::nullopt, "");
  CHECK_FALSE(other.ok);
  CHECK(other.parsed);
  CHECK_FALSE(other.imprint_ok);
  CHECK(other.signature_ok);
  CHECK(other.error.find("covers another hash") != std::string::npos);
  CHECK(other.error.find(k_hash) != std::string::npos);

  const tsa::Verification nonce = tsa::verify(resp, k_hash, std::string("1234abcd"), std::nullopt, "");
  CHECK_FALSE(nonce.ok);
  CHECK(nonce.imprint_ok);
  CHECK_FALSE(nonce.nonce_ok);
  CHECK(nonce.error.find("nonce") != std::string::npos);
  CHECK_FALSE(tsa::verify(resp, k_hash, std::string("not hex"), std::nullopt, "").ok);

  // The last byte of the DER is inside the signature value.
  std::string broken = resp;
  broken.back() = static_cast<char>(broken.back() ^ 0x01);
  const tsa::Verification sig = tsa::verify(broken, k_hash, r.nonce_hex, std::nullopt, "");
  CHECK_FALSE(sig.ok);
  CHECK(sig.parsed);
  CHECK(sig.imprint_ok);
  CHECK_FALSE(sig.signature_ok);
  CHECK(sig.error.find("signature") != std::string::npos);

  // A byte changed inside the signed TSTInfo (the imprint): even checked against the hash
  // it now names, the signature no longer covers it.
  std::string imprint_bytes;
  for (std::size_t i = 0; i < k_hash.size(); i += 2)
    imprint_bytes.push_back(static_cast<char>(std::stoi(k_hash.substr(i, 2), nullptr, 16)));
  std::string altered = resp;
  const std::size_t at = altered.find(imprint_bytes);
  REQUIRE(at != std::string::npos);
  altered[at + 31] = static_cast<char>(altered[at + 31] ^ 0x01);
  imprint_bytes[31] = static_cast<char>(imprint_bytes[31] ^ 0x01);
  const std::string altered_hash = util::to_hex(reinterpret_cast<const std::uint8_t*>(imprint_bytes.data()), 32);
  const tsa::Verification content = tsa::verify(altered, altered_hash, r.nonce_hex, std::nullopt, "");
  CHECK_FALSE(content.ok);
  CHECK(content.imprint_ok);
  CHECK_FALSE(content.signature_ok);
  CHECK_FALSE(tsa::verify(altered, k_hash, r.nonce_hex, std::nullopt, "").ok);
}

TEST_CASE("tsa: a token without certificates verifies only with the stored chain") {
  Pki pki;
  const tsa::Request r = tsa::make_request(k_hash);
  // The same request with certReq false: the TSA leaves its certificates out.
  const auto* p = reinterpret_cast<const unsigned char*>(r.der.data());
  TS_REQ* req = d2i_TS_REQ(nullptr, &p, static_cast<long>(r.der.size()));
  REQUIRE(req != nullptr);
  TS_REQ_set_cert_req(req, 0);
  unsigned char* der = nullptr;
  const int n = i2d_TS_REQ(req, &der);
  const std::string no_certs(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  TS_REQ_free(req);
  const std::string resp = pki.respond(no_certs);
  CHECK(tsa::embedded_chain_pem(resp).empty());

  const tsa::Verification alone = tsa::verify(resp, k_hash, r.nonce_hex, std::nullopt, "");
  CHECK_FALSE(alone.ok);
  CHECK(alone.imprint_ok);
  CHECK_FALSE(alone.signature_ok);
  const tsa::Verification with_chain = tsa::verify(resp, k_hash, r.nonce_hex, std::nullopt, pem_of(pki.tsa.get()) + pem_of(pki.ca.get()));
  INFO(with_chain.error);
  CHECK(with_chain.ok);
  tsa::TokenInfo info;
  tsa::verify(resp, k_hash, r.nonce_hex, std::nullopt, pem_of(pki.tsa.get()), &info);
  CHECK(info.signer_subject == "CN=unit TSA,O=cbkit unit");
}

TEST_CASE("tsa: garbage, empty, a rejection and trailing bytes are reported, not thrown") {
  Pki pki;
  for (const std::string& bad : {std::string(), std::string("\x30\x03\x02\x01\x01", 5), std::string(300, '\xA5')}) {
    const tsa::Verification v = tsa::verify(bad, k_hash, std::nullopt, std::nullopt, "");
    CHECK_FALSE(v.ok);
    CHECK_FALSE(v.parsed);
    CHECK_FALSE(v.error.empty());
  }
  const tsa::Request r = tsa::make_request(k_hash);
  const std::string rejected = pki.respond(r.der, nullptr, nullptr, false);
  const tsa::Verification v = tsa::verify(rejected, k_hash, r.nonce_hex, std::nullopt, "");
  CHECK_FALSE(v.ok);
  CHECK_FALSE(v.parsed);
  CHECK(v.error.find("rejection") != std::string::npos);
  CHECK(v.error.find("badAlg") != std::string::npos);

  const std::string trailing = pki.respond(r.der) + "x";
  CHECK_FALSE(tsa::verify(trailing, k_hash, r.nonce_hex, std::nullopt, "").parsed);
  CHECK_FALSE(tsa::verify(pki.respond(r.der), "not a hash", r.nonce_hex, std::nullopt, "").ok);
}

TEST_CASE("tsa: obtain refuses other schemes as usage and an unreachable TSA as input, naming the URL") {
  tsa::ObtainOptions o;
  o.url = "ftp://127.0.0.1/tsr";
  try {
    tsa::obtain(o, k_hash);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(std::string(e.what()).find("ftp://127.0.0.1/tsr") != std::string::npos);
  }
  o.url = "http://";
  CHECK_THROWS_AS(tsa::obtain(o, k_hash), Error);
  // Port 1 on the loopback: nothing listens there.
  o.url = "http://127.0.0.1:1/tsr";
  o.timeout_seconds = 5;
  try {
    tsa::obtain(o, k_hash);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::input);
    CHECK(std::string(e.what()).find("TSA http://127.0.0.1:1/tsr: ") == 0);
  }
}

namespace {

// Feeds `bytes` to the check as file `path`, in small chunks like the verifier does.
void feed(verify::TokenCheck& check, const std::string& path, const std::string& bytes, bool intact = true) {
  REQUIRE(check.wants(path));
  check.begin_file(path);
  for (std::size_t at = 0; at < bytes.size(); at += 100)
    check.update(bytes.data() + at, std::min<std::size_t>(100, bytes.size() - at));
  check.end_file(intact);
}

std::vector<std::string> codes(const std::vector<verify::Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings)
    out.push_back(f.code + (f.severity == verify::Severity::warning ? " (warning)" : ""));
  return out;
}

} // namespace

TEST_CASE("tsa: TokenCheck turns a stored token into findings with stable codes") {
  TempDir t;
  Pki pki;
  write_file(t / "ca.pem", pem_of(pki.ca.get()));
  write_file(t / "other.pem", pem_of(pki.other_ca.get()));
  const tsa::Request r = tsa::make_request(k_hash);
  const std::string resp = pki.respond(r.der);
  const std::string chain = tsa::embedded_chain_pem(resp);
  const std::string tsr = "seals/000002-timestamp/timestamp.tsr";
  const std::string pem = "seals/000002-timestamp/tsa-chain.pem";
  verify::TokenExpectation expect{k_hash, r.nonce_hex, "the head of line 1", nullptr};

  auto run = [&](const verify::Options& options, const std::string& token, const verify::TokenExpectation& e, bool intact = true) {
    verify::TokenCheck check(2, tsr, pem, options);
    CHECK_FALSE(check.wants("seals/000002-timestamp/timestamp.tsq"));
    feed(check, pem, chain);
    feed(check, tsr, token, intact);
    std::vector<verify::Finding> out;
    check.finish(e, out);
    for (const auto& f : out) {
      CHECK(f.seq == 2u);
      CHECK(f.path == tsr);
      CHECK_FALSE(f.message.empty());
    }
    return codes(out);
  };
  using V = std::vector<std::string>;
  verify::Options none;
  verify::Options pinned;
  pinned.tsa_ca = t / "ca.pem";
  verify::Options wrong;
  wrong.tsa_ca = t / "other.pem";

  CHECK(run(none, resp, expect) == V{"timestamp-unpinned (warning)"});
  CHECK(run(pinned, resp, expect).empty());
  CHECK(run(wrong, resp, expect) == V{"timestamp-untrusted"});
  CHECK(run(pinned, resp, verify::TokenExpectation{k_other, r.nonce_hex, "the head of line 1", nullptr}) ==
        V{"timestamp-imprint-mismatch"});
  CHECK(run(pinned, resp, verify::TokenExpectation{k_hash, std::string("0123"), "x", nullptr}) == V{"timestamp-invalid"});
  CHECK(run(pinned, std::string(500, 'x'), expect) == V{"timestamp-invalid"});
  // Bytes that are not the recorded ones are file-hash-mismatch's business, not this check's.
  CHECK(run(pinned, std::string(500, 'x'), expect, false).empty());
  CHECK(run(pinned, std::string(verify::k_max_token_file + 1, '\0'), expect) == V{"timestamp-invalid"});

  // The line's record: its nonce is the expected one, its TSA time and serial must match.
  tsa::TokenInfo info;
  tsa::verify(resp, k_hash, std::nullopt, std::nullopt, "", &info);
  manifest::Json record = {{"tsa", {{"time", info.gen_time}, {"serial", info.serial}}}, {"nonce", r.nonce_hex}};
  CHECK(run(pinned, resp, verify::TokenExpectation{k_hash, std::nullopt, "x", &record}).empty());
  record["nonce"] = "abcdef";
  CHECK(run(pinned, resp, verify::TokenExpectation{k_hash, std::nullopt, "x", &record}) == V{"timestamp-invalid"});
  record["nonce"] = r.nonce_hex;
  record["tsa"]["serial"] = "ff";
  CHECK(run(pinned, resp, verify::TokenExpectation{k_hash, std::nullopt, "x", &record}) == V{"timestamp-record-mismatch"});

  // A token that was never read (missing file) gets no finding here either.
  verify::TokenCheck unread(2, tsr, pem, pinned);
  std::vector<verify::Finding> out;
  CHECK_FALSE(unread.finish(expect, out).has_value());
  CHECK(out.empty());
}
