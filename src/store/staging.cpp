#include "cbkit/store/staging.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/text.hpp"

#include <sys/stat.h>

namespace cbkit::store {

Staging::Staging(const Case& c, const std::string& area) : m_dir(c.root() / area / (".incoming-" + util::random_hex(8))) {
  if (::mkdir(m_dir.c_str(), 0700) != 0) throw_errno(ErrorKind::io, util::utf8_lossy(m_dir.string()));
}

Staging::~Staging() {
  if (!m_committed) util::remove_tree_forcibly(m_dir);
}

} // namespace cbkit::store
