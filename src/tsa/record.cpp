#include "cbkit/tsa/record.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

#include <cerrno>
#include <fcntl.h>

namespace cbkit::tsa {

using manifest::Json;

manifest::Json stamp_record(const Stamp& stamp, const ObtainOptions& options, const std::string& ca_sha256) {
  const TokenInfo& i = stamp.info;
  Json tsa = Json::object();
  tsa["url"] = options.url;
  tsa["time"] = i.gen_time;
  tsa["serial"] = i.serial;
  tsa["policy"] = i.policy;
  if (!i.tsa_name.empty()) tsa["name"] = i.tsa_name;
  tsa["signer_subject"] = i.signer_subject;
  tsa["signer_issuer"] = i.signer_issuer;
  if (!i.accuracy.empty()) tsa["accuracy"] = i.accuracy;

  const Verification& v = stamp.verification;
  Json verification = Json::object();
  verification["imprint"] = v.imprint_ok;
  verification["nonce"] = v.nonce_ok;
  verification["signature"] = v.signature_ok;
  verification["chain_checked"] = v.chain_checked;
  verification["chain"] = v.chain_ok;
  if (!ca_sha256.empty()) verification["ca_sha256"] = ca_sha256;

  Json out = Json::object();
  out["tsa"] = std::move(tsa);
  out["nonce"] = i.nonce;
  out["local_before"] = stamp.local_before;
  out["local_after"] = stamp.local_after;
  out["skew_micros"] = stamp.skew_micros;
  if (!options.proxy.empty()) out["proxy"] = options.proxy;
  out["verification"] = std::move(verification);
  return out;
}

void add_token_files(store::EntryBuilder& entry, const Stamp& stamp) {
  entry.add_bytes(k_token_file, stamp.response_der, "token", k_token_media_type);
  entry.add_bytes(k_request_file, stamp.request_der, "token-request", k_request_media_type);
  if (!stamp.chain_pem.empty()) entry.add_bytes(k_chain_file, stamp.chain_pem, "tsa-chain", k_chain_media_type);
}

manifest::Json token_record(const manifest::Json& covers, const Stamp& stamp, const ObtainOptions& options, const std::string& ca_sha256) {
  Json out = Json::object();
  out["covers"] = covers;
  out.update(stamp_record(stamp, options, ca_sha256));
  return out;
}

std::string ca_file_sha256(const std::filesystem::path& ca) {
  const std::string name = util::utf8_lossy(ca.string());
  util::UniqueFd fd(::open(ca.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(ErrorKind::input, name + " (--tsa-ca)");
  return util::sha256_fd(fd.get(), name).sha256;
}

} // namespace cbkit::tsa
