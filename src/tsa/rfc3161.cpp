#include "cbkit/tsa/rfc3161.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/curl.hpp"
#include "cbkit/util/openssl.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "cbkit/version.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstring>

namespace cbkit::tsa {

namespace {

constexpr std::size_t k_max_answer = 1u << 20; // a token is a few KiB; more is not a TSA

// The OpenSSL error queue as one phrase (reason and added data, e.g. the X509 verify
// error), emptied; `fallback` when the queue is empty.
std::string openssl_errors(const std::string& fallback) {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (const unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    const char* reason = ERR_reason_error_string(e);
    std::string item = reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(e));
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') item += std::string(" (") + data + ")";
    if (out.find(item) == std::string::npos) out += (out.empty() ? "" : "; ") + item;
  }
  return out.empty() ? fallback : out;
}

std::string der_of_request(TS_REQ* req) {
  unsigned char* raw = nullptr;
  const int n = i2d_TS_REQ(req, &raw);
  util::OpensslBytesPtr owned(raw);
  if (n <= 0) throw Error(ErrorKind::internal, "cannot encode the TimeStampReq: " + openssl_errors("i2d_TS_REQ failed"));
  return std::string(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(n));
}

bool hex_to_bytes(const std::string& hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = val(hex[i]);
    const int lo = val(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

std::string integer_hex(const ASN1_INTEGER* i) {
  if (i == nullptr) return "";
  util::BnPtr bn(ASN1_INTEGER_to_BN(i, nullptr));
  if (!bn) return "";
  util::OpensslStringPtr hex(BN_bn2hex(bn.get()));
  return hex ? util::to_lower_ascii(hex.get()) : "";
}

// An ASN1_INTEGER from lowercase or uppercase hex; null when not hex.
util::Asn1IntegerPtr integer_from_hex(const std::string& hex) {
  if (hex.empty() || hex.size() > 128 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return nullptr;
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0) return nullptr;
  util::BnPtr bn(raw);
  return util::Asn1IntegerPtr(BN_to_ASN1_INTEGER(bn.get(), nullptr));
}

// A TS_REQ over a 32-byte SHA-256 digest with an optional nonce; certReq set.
util::TsReqPtr build_request(const std::string& digest, const ASN1_INTEGER* nonce) {
  util::TsReqPtr req(TS_REQ_new());
  util::TsMsgImprintPtr imprint(TS_MSG_IMPRINT_new());
  util::X509AlgorPtr algo(X509_ALGOR_new());
  if (!req || !imprint || !algo || X509_ALGOR_set0(algo.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr) != 1 ||
      TS_REQ_set_version(req.get(), 1) != 1 || TS_MSG_IMPRINT_set_algo(imprint.get(), algo.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(imprint.get(), reinterpret_cast<unsigned char*>(const_cast<char*>(digest.data())),
                             static_cast<int>(digest.size())) != 1 ||
      TS_REQ_set_msg_imprint(req.get(), imprint.get()) != 1 || (nonce != nullptr && TS_REQ_set_nonce(req.get(), nonce) != 1) ||
      TS_REQ_set_cert_req(req.get(), 1) != 1) {
    throw Error(ErrorKind::internal, "cannot build a TimeStampReq: " + openssl_errors("out of memory"));
  }
  return req;
}

std::string digest_of_hex(const std::string& sha256_hex) {
  std::string digest;
  if (!util::is_sha256_hex(sha256_hex) || !hex_to_bytes(sha256_hex, digest)) {
    throw Error(ErrorKind::usage, "'" + util::utf8_lossy(sha256_hex) + "': not a SHA-256 (64 lowercase hex digits) to timestamp");
  }
  return digest;
}

// ---------------------------------------------------------------- reading a response

// A stored answer: a TimeStampResp, or a bare TimeStampToken (CMS ContentInfo).
struct Parsed {
  util::TsRespPtr resp;
  util::Pkcs7Ptr own_token;
  util::TsTstInfoPtr own_tst;
  PKCS7* token = nullptr;
  TS_TST_INFO* tst = nullptr;
};

std::string status_name(long status) {
  switch (status) {
  case 0:
    return "granted";
  case 1:
    return "grantedWithMods";
  case 2:
    return "rejection";
  case 3:
    return "waiting";
  case 4:
    return "revocationWarning";
  case 5:
    return "revocationNotification";
  default:
    return std::to_string(status);
  }
}

std::string status_details(TS_STATUS_INFO* si) {
  std::string out;
  if (const ASN1_BIT_STRING* fi = TS_STATUS_INFO_get0_failure_info(si)) {
    static const std::pair<int, const char*> k_bits[] = {
        {TS_INFO_BAD_ALG, "badAlg"},
        {TS_INFO_BAD_REQUEST, "badRequest"},
        {TS_INFO_BAD_DATA_FORMAT, "badDataFormat"},
        {TS_INFO_TIME_NOT_AVAILABLE, "timeNotAvailable"},
        {TS_INFO_UNACCEPTED_POLICY, "unacceptedPolicy"},
        {TS_INFO_UNACCEPTED_EXTENSION, "unacceptedExtension"},
        {TS_INFO_ADD_INFO_NOT_AVAILABLE, "addInfoNotAvailable"},
        {TS_INFO_SYSTEM_FAILURE, "systemFailure"},
    };
    for (const auto& [bit, name] : k_bits) {
      if (ASN1_BIT_STRING_get_bit(fi, bit) != 0) out += (out.empty() ? "" : ", ") + std::string(name);
    }
  }
  if (const STACK_OF(ASN1_UTF8STRING)* text = TS_STATUS_INFO_get0_text(si)) {
    for (int i = 0; i < sk_ASN1_UTF8STRING_num(text); ++i) {
      const ASN1_UTF8STRING* s = sk_ASN1_UTF8STRING_value(text, i);
      const std::string t(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
      out += (out.empty() ? "\"" : ", \"") + util::one_line(util::utf8_lossy(t), 200) + "\"";
    }
  }
  return out;
}

// Parses `der` whole (trailing bytes are refused). On failure returns false with a sentence.
bool parse(const std::string& der, Parsed& p, std::string& error) {
  ERR_clear_error();
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const auto* end = begin + der.size();
  if (der.empty() || der.size() > static_cast<std::size_t>(INT32_MAX)) {
    error = "the token is empty or not DER";
    return false;
  }
  const auto len = static_cast<long>(der.size());
  const unsigned char* q = begin;
  p.resp.reset(d2i_TS_RESP(nullptr, &q, len));
  if (p.resp && q == end) {
    TS_STATUS_INFO* si = TS_RESP_get_status_info(p.resp.get());
    const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
    if (status != 0 && status != 1) {
      const std::string details = status_details(si);
      error = "the TSA did not grant the request: status " + status_name(status) + (details.empty() ? "" : " (" + details + ")");
      return false;
    }
    p.token = TS_RESP_get_token(p.resp.get());
    p.tst = TS_RESP_get_tst_info(p.resp.get());
    if (p.token == nullptr || p.tst == nullptr) {
      error = "the TSA's answer is granted but holds no token";
      return false;
    }
    return true;
  }
  p.resp.reset();
  ERR_clear_error();
  q = begin;
  p.own_token.reset(d2i_PKCS7(nullptr, &q, len));
  if (p.own_token && q == end && PKCS7_type_is_signed(p.own_token.get())) {
    p.own_tst.reset(PKCS7_to_TS_TST_INFO(p.own_token.get()));
    if (p.own_tst) {
      p.token = p.own_token.get();
      p.tst = p.own_tst.get();
      return true;
    }
  }
  p.own_token.reset();
  ERR_clear_error();
  error = "the data is neither an RFC 3161 TimeStampResp nor a TimeStampToken (DER)";
  return false;
}

// The certificates inside a signed token (borrowed; may be null).
STACK_OF(X509) * token_certs(PKCS7* token) {
  if (token == nullptr || !PKCS7_type_is_signed(token) || token->d.sign == nullptr) return nullptr;
  return token->d.sign->cert;
}

util::X509StackPtr certs_from_pem(const std::string& pem) {
  util::X509StackPtr out(sk_X509_new_null());
  if (!out) throw Error(ErrorKind::internal, "out of memory");
  if (pem.empty()) return out;
  util::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (bio) {
    util::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    if (sk_X509_push(out.get(), cert.get()) > 0) cert.release();
  }
  ERR_clear_error(); // the read that ended the loop
  return out;
}

util::X509StackPtr dup_certs(STACK_OF(X509) * certs) {
  util::X509StackPtr out(sk_X509_new_null());
  if (!out) throw Error(ErrorKind::internal, "out of memory");
  for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
    X509* c = sk_X509_value(certs, i);
    if (X509_up_ref(c) == 1 && sk_X509_push(out.get(), c) <= 0) X509_free(c);
  }
  return out;
}

std::string name_text(const X509_NAME* name) {
  if (name == nullptr) return "";
  util::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) return "";
  return util::utf8_lossy(util::bio_contents(bio.get()));
}

std::string general_name_text(GENERAL_NAME* gn) {
  if (gn == nullptr) return "";
  if (gn->type == GEN_DIRNAME) return name_text(gn->d.directoryName);
  util::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || GENERAL_NAME_print(bio.get(), gn) <= 0) return "";
  return util::utf8_lossy(util::bio_contents(bio.get()));
}

// GeneralizedTime "YYYYMMDDHHMMSS[.f...]Z" -> RFC 3339 UTC and epoch microseconds.
bool generalized_time(const ASN1_GENERALIZEDTIME* t, std::string& rfc3339, std::int64_t& micros) {
  if (t == nullptr) return false;
  const std::string s(reinterpret_cast<const char*>(ASN1_STRING_get0_data(t)), static_cast<std::size_t>(ASN1_STRING_length(t)));
  if (s.size() < 15 || s.back() != 'Z' || s.find_first_not_of("0123456789", 0) != 14) return false;
  std::string fraction;
  if (s.size() > 15) {
    if (s[14] != '.' || s.size() < 17) return false;
    fraction = s.substr(15, s.size() - 16);
    if (fraction.find_first_not_of("0123456789") != std::string::npos) return false;
  } else if (s[14] != 'Z') {
    return false;
  }
  const std::string text = s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2) + "T" + s.substr(8, 2) + ":" + s.substr(10, 2) +
                           ":" + s.substr(12, 2) + (fraction.empty() ? "" : "." + fraction) + "Z";
  const auto parsed = util::parse_rfc3339(text);
  if (!parsed) return false;
  std::string us = fraction.substr(0, 6);
  us.resize(6, '0');
  rfc3339 = text;
  micros = parsed->epoch_seconds * 1000000 + std::stoll(us);
  return true;
}

void fill_info(const Parsed& p, STACK_OF(X509) * extra_certs, TokenInfo& info) {
  TS_TST_INFO* tst = p.tst;
  if (!generalized_time(TS_TST_INFO_get_time(tst), info.gen_time, info.gen_time_micros)) {
    info.gen_time.clear();
    info.gen_time_micros = 0;
  }
  info.serial = integer_hex(TS_TST_INFO_get_serial(tst));
  if (ASN1_OBJECT* policy = TS_TST_INFO_get_policy_id(tst)) {
    char buf[128];
    if (OBJ_obj2txt(buf, sizeof buf, policy, 1) > 0) info.policy = buf;
  }
  info.tsa_name = general_name_text(TS_TST_INFO_get_tsa(tst));
  if (TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(tst)) {
    const ASN1_OBJECT* alg = nullptr;
    X509_ALGOR_get0(&alg, nullptr, nullptr, TS_MSG_IMPRINT_get_algo(imprint));
    const int nid = alg != nullptr ? OBJ_obj2nid(alg) : NID_undef;
    info.imprint_algorithm = nid != NID_undef ? OBJ_nid2sn(nid) : "unknown";
    const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(imprint);
    if (nid == NID_sha256 && msg != nullptr && ASN1_STRING_length(msg) == 32)
      info.imprint_sha256 = util::to_hex(ASN1_STRING_get0_data(msg), 32);
  }
  info.nonce = integer_hex(TS_TST_INFO_get_nonce(tst));
  if (TS_ACCURACY* acc = TS_TST_INFO_get_accuracy(tst)) {
    auto part = [](const ASN1_INTEGER* i) { return i != nullptr ? ASN1_INTEGER_get(i) : 0L; };
    char buf[64];
    std::snprintf(buf, sizeof buf, "%ld.%03ld%03ld s", part(TS_ACCURACY_get_seconds(acc)), part(TS_ACCURACY_get_millis(acc)),
                  part(TS_ACCURACY_get_micros(acc)));
    info.accuracy = buf;
  }
  util::X509RefsPtr signers(PKCS7_get0_signers(p.token, extra_certs, 0));
  ERR_clear_error();
  if (signers && sk_X509_num(signers.get()) == 1) {
    X509* signer = sk_X509_value(signers.get(), 0);
    info.signer_subject = name_text(X509_get_subject_name(signer));
    info.signer_issuer = name_text(X509_get_issuer_name(signer));
  }
}

// A trust store for the signer check, validating at the token's time.
util::X509StorePtr new_store(const TokenInfo& info) {
  util::X509StorePtr store(X509_STORE_new());
  if (!store) throw Error(ErrorKind::internal, "out of memory");
  // A CA file may pin an intermediate or the TSA certificate itself.
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (!info.gen_time.empty()) {
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), static_cast<time_t>(info.gen_time_micros / 1000000));
  }
  return store;
}

// One TS_VERIFY_CTX run over the token with `flags`; the context takes `store` and `certs`.
bool run_check(TS_REQ* req, PKCS7* token, int flags, util::X509StorePtr store, util::X509StackPtr certs, std::string& why) {
  ERR_clear_error();
  util::TsVerifyCtxPtr ctx(TS_REQ_to_TS_VERIFY_CTX(req, nullptr));
  if (!ctx) throw Error(ErrorKind::internal, "out of memory");
  TS_VERIFY_CTX_set_flags(ctx.get(), flags);
  if (store) TS_VERIFY_CTX_set_store(ctx.get(), store.release());
  if (certs) TS_VERIFY_CTX_set_certs(ctx.get(), certs.release());
  const bool ok = TS_RESP_verify_token(ctx.get(), token) == 1;
  if (!ok) why = openssl_errors("verification failed");
  ERR_clear_error();
  return ok;
}

std::string chain_pem_of(STACK_OF(X509) * certs) {
  util::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) throw Error(ErrorKind::internal, "out of memory");
  for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i)
    PEM_write_bio_X509(bio.get(), sk_X509_value(certs, i));
  return util::bio_contents(bio.get());
}

Verification verify_parsed(const Parsed& p, const std::string& digest, const std::string& sha256_hex,
                           const std::optional<std::string>& nonce_hex, const std::optional<std::filesystem::path>& ca,
                           const std::string& untrusted_pem, TokenInfo& info) {
  Verification v;
  v.parsed = true;
  util::X509StackPtr untrusted = certs_from_pem(untrusted_pem);
  fill_info(p, untrusted.get(), info);

  util::Asn1IntegerPtr nonce;
  if (nonce_hex) {
    nonce = integer_from_hex(*nonce_hex);
    if (!nonce) {
      v.error = "the expected nonce '" + util::utf8_lossy(*nonce_hex) + "' is not hex";
      return v;
    }
  }
  // The context's imprint, algorithm and nonce come from a request built like ours.
  util::TsReqPtr req = build_request(digest, nonce.get());

  std::string why;
  v.imprint_ok = run_check(req.get(), p.token, TS_VFY_IMPRINT, nullptr, nullptr, why);
  const bool version_ok = run_check(req.get(), p.token, TS_VFY_VERSION, nullptr, nullptr, why);
  v.nonce_ok = !nonce || run_check(req.get(), p.token, TS_VFY_NONCE, nullptr, nullptr, why);

  // Signature, ESS signing-certificate binding and the timeStamping key usage, with the
  // certificates the token (and the stored chain) carry as their own anchors: this proves
  // who signed, not that the signer is trusted.
  std::string signature_why;
  {
    util::X509StorePtr self = new_store(info);
    for (STACK_OF(X509) * certs : {token_certs(p.token), untrusted.get()}) {
      for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i)
        X509_STORE_add_cert(self.get(), sk_X509_value(certs, i));
    }
    ERR_clear_error(); // a certificate in both is not an error here
    v.signature_ok =
        run_check(req.get(), p.token, TS_VFY_SIGNATURE | TS_VFY_SIGNER, std::move(self), dup_certs(untrusted.get()), signature_why);
  }

  std::string chain_why;
  if (ca) {
    v.chain_checked = true;
    util::X509StorePtr store = new_store(info);
    ERR_clear_error();
    if (X509_STORE_load_file(store.get(), ca->c_str()) != 1) {
      chain_why = "cannot load " + util::utf8_lossy(ca->string()) + " as PEM certificates: " + openssl_errors("no certificate in it");
    } else {
      v.chain_ok = run_check(req.get(), p.token, TS_VFY_SIGNATURE | TS_VFY_SIGNER, std::move(store), dup_certs(untrusted.get()), chain_why);
      if (!v.chain_ok) chain_why = "the TSA certificate does not chain to " + util::utf8_lossy(ca->string()) + ": " + chain_why;
    }
  }

  v.ok = v.imprint_ok && version_ok && v.nonce_ok && v.signature_ok && (!v.chain_checked || v.chain_ok);
  if (!v.imprint_ok) {
    v.error = "the token covers another hash (" +
              (info.imprint_sha256.empty() ? "a " + info.imprint_algorithm + " imprint" : "sha256 " + info.imprint_sha256) +
              "), not sha256 " + sha256_hex;
  } else if (!version_ok) {
    v.error = "the token's TSTInfo version is not 1";
  } else if (!v.nonce_ok) {
    v.error = "the token's nonce (" + (info.nonce.empty() ? std::string("none") : info.nonce) + ") is not the request's (" +
              util::to_lower_ascii(*nonce_hex) + "): it does not answer this request";
  } else if (!v.signature_ok) {
    v.error = "the token's signature does not verify: " + signature_why;
  } else if (v.chain_checked && !v.chain_ok) {
    v.error = chain_why;
  }
  return v;
}

// ---------------------------------------------------------------- HTTP

struct Answer {
  long status = 0;
  std::string content_type;
  std::string location;
  std::string body;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* a = static_cast<Answer*>(user);
  const std::size_t bytes = size * n;
  if (a->body.size() + bytes > k_max_answer) {
    a->too_large = true;
    return 0; // aborts the transfer with CURLE_WRITE_ERROR
  }
  a->body.append(data, bytes);
  return bytes;
}

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return interrupted() ? 1 : 0; }

Answer post(const ObtainOptions& options, const std::string& request) {
  const util::CurlPtr curl = util::curl_easy();
  CURL* c = curl.get();
  Answer answer;
  char errbuf[CURL_ERROR_SIZE] = {};
  util::CurlHeaders headers;
  headers.append("Content-Type: application/timestamp-query");
  headers.append("Accept: application/timestamp-reply");
  headers.append("Expect:"); // no 100-continue round trip
  util::curl_set_basics(c, {options.url, options.proxy, options.user_agent.empty() ? std::string("cbkit/") + k_version : options.user_agent,
                            &headers, errbuf});
  util::curl_set(c, CURLOPT_TIMEOUT, options.timeout_seconds);
  util::curl_set(c, CURLOPT_POST, 1L);
  util::curl_set(c, CURLOPT_POSTFIELDS, request.data());
  util::curl_set(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.size()));
  util::curl_set(c, CURLOPT_WRITEFUNCTION, &on_body);
  util::curl_set(c, CURLOPT_WRITEDATA, &answer);
  util::curl_set(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  util::curl_set(c, CURLOPT_NOPROGRESS, 0L);

  const CURLcode rc = curl_easy_perform(c);
  const std::string where = "TSA " + options.url;
  if (rc == CURLE_ABORTED_BY_CALLBACK) throw Error(ErrorKind::interrupted, where + ": interrupted; nothing recorded");
  if (rc == CURLE_WRITE_ERROR && answer.too_large) {
    throw Error(ErrorKind::input, where + ": the answer is larger than 1 MiB; that is not a timestamp token");
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    throw Error(ErrorKind::input, where + ": no answer within " + std::to_string(options.timeout_seconds) + " s (raise --timeout)");
  }
  if (rc != CURLE_OK) {
    const std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    throw Error(ErrorKind::input, where + ": cannot be reached: " + util::one_line(detail, 300));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
  const char* type = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr) answer.content_type = type;
  const char* location = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) answer.location = location;
  return answer;
}

} // namespace

// ---------------------------------------------------------------- public

Request make_request(const std::string& sha256_hex) {
  const std::string digest = digest_of_hex(sha256_hex);
  unsigned char random[8];
  if (RAND_bytes(random, sizeof random) != 1) throw Error(ErrorKind::internal, "no random bytes for the nonce: " + openssl_errors("RAND"));
  util::BnPtr bn(BN_bin2bn(random, sizeof random, nullptr));
  util::Asn1IntegerPtr nonce(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!nonce) throw Error(ErrorKind::internal, "out of memory");
  util::TsReqPtr req = build_request(digest, nonce.get());
  return Request{der_of_request(req.get()), integer_hex(nonce.get())};
}

void check_url(const std::string& url) {
  const std::string shown = "--tsa '" + util::one_line(util::utf8_lossy(url), 200) + "'";
  if (!util::istarts_with(url, "http://") && !util::istarts_with(url, "https://")) {
    throw Error(ErrorKind::usage, shown + ": only http:// and https:// TSA URLs are supported");
  }
  if (!util::curl_url_host(url)) throw Error(ErrorKind::usage, shown + ": not a valid URL (expected e.g. https://tsa.example/tsr)");
}

Stamp obtain(const ObtainOptions& options, const std::string& sha256_hex) {
  check_url(options.url);
  if (options.timeout_seconds <= 0) throw Error(ErrorKind::usage, "--timeout must be a positive number of seconds");
  const std::string where = "TSA " + options.url;
  if (options.ca) {
    // Refuse an unusable CA file before asking the TSA anything.
    util::X509StorePtr store(X509_STORE_new());
    ERR_clear_error();
    if (!store || X509_STORE_load_file(store.get(), options.ca->c_str()) != 1) {
      const std::string reason = openssl_errors("no certificate in it");
      throw Error(ErrorKind::input,
                  util::utf8_lossy(options.ca->string()) + ": cannot be read as PEM CA certificates (--tsa-ca): " + reason);
    }
  }
  Stamp stamp;
  const Request request = make_request(sha256_hex);
  stamp.request_der = request.der;
  stamp.local_before = util::utc_now();
  const Answer answer = post(options, request.der);
  stamp.local_after = util::utc_now();

  if (answer.status != 200) {
    std::string msg = where + ": answered HTTP " + std::to_string(answer.status);
    if (answer.status >= 300 && answer.status < 400 && !answer.location.empty())
      msg +=
          " (a redirect to " + util::one_line(util::utf8_lossy(answer.location), 200) + "; TSA redirects are not followed, give that URL)";
    throw Error(ErrorKind::input, msg + ", not 200 with a timestamp token");
  }
  const std::string type = util::to_lower_ascii(answer.content_type.substr(0, answer.content_type.find(';')));
  const std::string_view trimmed = util::trim_end(type, " ");
  if (trimmed != "application/timestamp-reply" && trimmed != "application/timestamp-response") {
    throw Error(ErrorKind::input, where + ": answered with content type '" + util::one_line(util::utf8_lossy(answer.content_type), 100) +
                                      "', not application/timestamp-reply: not an RFC 3161 TSA");
  }
  stamp.response_der = answer.body;
  stamp.verification = verify(answer.body, sha256_hex, request.nonce_hex, options.ca, "", &stamp.info);
  if (!stamp.verification.ok) throw Error(ErrorKind::input, where + ": " + stamp.verification.error);
  stamp.chain_pem = embedded_chain_pem(answer.body);
  std::int64_t before = 0;
  std::int64_t after = 0;
  if (util::is_manifest_time(stamp.local_before, &before) && util::is_manifest_time(stamp.local_after, &after)) {
    stamp.skew_micros = stamp.info.gen_time_micros - (before + (after - before) / 2);
  }
  return stamp;
}

Verification verify(const std::string& response_der, const std::string& sha256_hex, const std::optional<std::string>& nonce_hex,
                    const std::optional<std::filesystem::path>& ca, const std::string& untrusted_pem, TokenInfo* info) {
  TokenInfo local;
  TokenInfo& out = info != nullptr ? *info : local;
  out = TokenInfo{};
  Verification v;
  std::string digest;
  if (!util::is_sha256_hex(sha256_hex) || !hex_to_bytes(sha256_hex, digest)) {
    v.error = "the hash to check the token against is not a SHA-256 (64 lowercase hex digits)";
    return v;
  }
  Parsed p;
  if (!parse(response_der, p, v.error)) return v;
  try {
    return verify_parsed(p, digest, sha256_hex, nonce_hex, ca, untrusted_pem, out);
  } catch (const Error& e) {
    v.error = e.what();
    return v;
  }
}

std::string embedded_chain_pem(const std::string& response_der) {
  Parsed p;
  std::string error;
  if (!parse(response_der, p, error)) return "";
  return chain_pem_of(token_certs(p.token));
}

} // namespace cbkit::tsa
