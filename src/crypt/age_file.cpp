#include "cbkit/crypt/age.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace cbkit::crypt {

namespace fs = std::filesystem;

namespace {

std::string display(const fs::path& p) { return util::utf8_lossy(p.string()); }

std::size_t read_some(int fd, char* buf, std::size_t n, const std::string& name) {
  for (;;) {
    const ssize_t r = ::read(fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_errno(ErrorKind::input, name);
    return static_cast<std::size_t>(r);
  }
}

void write_all(int fd, const char* p, std::size_t n, const std::string& name) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw_errno(ErrorKind::io, name);
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

} // namespace

bool looks_like_age_file(const fs::path& path) {
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  const std::string magic = "age-encryption.org/";
  std::string head(magic.size(), '\0');
  std::size_t got = 0;
  while (got < head.size()) {
    const ssize_t r = ::read(fd.get(), head.data() + got, head.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return head == magic;
}

DecryptKeys load_decrypt_keys(const std::optional<fs::path>& identity_file, const std::optional<fs::path>& passphrase_file) {
  if (identity_file && passphrase_file) throw Error(ErrorKind::usage, "--identity and --passphrase-file exclude each other");
  if (!identity_file && !passphrase_file)
    throw Error(ErrorKind::usage, "the file is age-encrypted: give --identity KEYFILE (AGE-SECRET-KEY) or --passphrase-file FILE");
  DecryptKeys k;
  if (identity_file) {
    k.identities = load_identity_file(*identity_file);
    k.identity_name = display(*identity_file);
  } else {
    k.passphrase = load_passphrase_file(*passphrase_file);
  }
  return k;
}

DecryptedFile decrypt_file(const fs::path& in, const fs::path& out, const DecryptKeys& keys) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(out, ec)))
    throw Error(ErrorKind::usage, "--out " + display(out) + ": exists; choose a new name (nothing is overwritten)");
  const std::string in_name = display(in);
  util::UniqueFd src(::open(in.c_str(), O_RDONLY | O_CLOEXEC));
  if (!src.valid()) throw_errno(ErrorKind::input, in_name);
  struct stat st {};
  if (::fstat(src.get(), &st) != 0) throw_errno(ErrorKind::input, in_name);
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::input, in_name + ": not a regular file");

  DecryptedFile r;
  AgeDecryptor d(keys, [&](char* buf, std::size_t n) {
    const std::size_t got = read_some(src.get(), buf, n, in_name);
    r.encrypted_bytes += got;
    return got;
  });
  r.header = d.header();

  const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  const fs::path tmp = dir / ("." + out.filename().string() + ".tmp-" + util::random_hex(6));
  util::UniqueFd dst(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!dst.valid()) throw_errno(ErrorKind::io, display(out));
  struct Cleanup {
    fs::path p;
    ~Cleanup() { ::unlink(p.c_str()); }
  } cleanup{tmp};

  util::Sha256 hash;
  std::vector<char> buf(1u << 16);
  while (const std::size_t n = d.read(buf.data(), buf.size())) {
    write_all(dst.get(), buf.data(), n, display(out));
    hash.update(buf.data(), n);
  }
  r.clear_bytes = d.clear_bytes();
  r.clear_sha256 = util::to_hex(hash.finish());
  if (::fchmod(dst.get(), 0644) != 0) throw_errno(ErrorKind::io, display(out));
  util::fsync_or_throw(dst.get(), display(out));
  dst.reset();
  if (::link(tmp.c_str(), out.c_str()) != 0) {
    if (errno == EEXIST) throw Error(ErrorKind::usage, "--out " + display(out) + ": exists; choose a new name (nothing is overwritten)");
    throw_errno(ErrorKind::io, display(out));
  }
  util::fsync_dir(dir);
  return r;
}

} // namespace cbkit::crypt
