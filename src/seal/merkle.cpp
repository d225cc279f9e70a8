#include "cbkit/seal/merkle.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/sha256.hpp"

namespace cbkit::seal {

namespace {

std::string digest_string(util::Sha256& h) {
  const util::Digest d = h.finish();
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// Largest power of two strictly below n (n >= 2).
std::size_t split_point(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n)
    k *= 2;
  return k;
}

std::string mth(const std::vector<std::string>& leaves, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  if (n == 0) {
    util::Sha256 h;
    return digest_string(h);
  }
  if (n == 1) return leaves[begin];
  const std::size_t k = split_point(n);
  return node_hash(mth(leaves, begin, begin + k), mth(leaves, begin + k, end));
}

void path(const std::vector<std::string>& leaves, std::size_t m, std::size_t begin, std::size_t end, std::vector<std::string>& out) {
  const std::size_t n = end - begin;
  if (n <= 1) return;
  const std::size_t k = split_point(n);
  if (m < k) {
    path(leaves, m, begin, begin + k, out);
    out.push_back(mth(leaves, begin + k, end));
  } else {
    path(leaves, m - k, begin + k, end, out);
    out.push_back(mth(leaves, begin, begin + k));
  }
}

} // namespace

std::string leaf_hash(std::string_view line_bytes) {
  util::Sha256 h;
  h.update("\0", 1);
  h.update(line_bytes);
  return digest_string(h);
}

std::string node_hash(std::string_view left, std::string_view right) {
  util::Sha256 h;
  h.update("\1", 1);
  h.update(left);
  h.update(right);
  return digest_string(h);
}

void TreeBuilder::add_leaf_hash(const std::string& leaf) {
  m_stack.emplace_back(1, leaf);
  // Merge equal-sized neighbours: the stack always holds perfect subtrees of strictly
  // decreasing size, which are exactly RFC 9162's left subtrees.
  while (m_stack.size() >= 2 && m_stack[m_stack.size() - 1].first == m_stack[m_stack.size() - 2].first) {
    auto right = std::move(m_stack.back());
    m_stack.pop_back();
    auto& left = m_stack.back();
    left.second = node_hash(left.second, right.second);
    left.first *= 2;
  }
  ++m_size;
}

std::string TreeBuilder::root() const {
  if (m_stack.empty()) {
    util::Sha256 h;
    return digest_string(h);
  }
  std::string r = m_stack.back().second;
  for (std::size_t i = m_stack.size() - 1; i-- > 0;)
    r = node_hash(m_stack[i].second, r);
  return r;
}

std::string root_of(const std::vector<std::string>& leaves, std::size_t n) {
  if (n > leaves.size()) throw Error(ErrorKind::internal, "Merkle root: more leaves asked than given");
  TreeBuilder b;
  for (std::size_t i = 0; i < n; ++i)
    b.add_leaf_hash(leaves[i]);
  return b.root();
}

std::vector<std::string> inclusion_proof(const std::vector<std::string>& leaves, std::size_t index, std::size_t n) {
  if (n > leaves.size() || index >= n) throw Error(ErrorKind::internal, "inclusion proof: index outside the tree");
  std::vector<std::string> out;
  path(leaves, index, 0, n, out);
  return out;
}

std::optional<std::string> root_from_inclusion_proof(const std::string& leaf, std::uint64_t index, std::uint64_t size,
                                                     const std::vector<std::string>& proof) {
  if (index >= size) return std::nullopt;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  std::string r = leaf;
  for (const std::string& p : proof) {
    if (sn == 0) return std::nullopt;
    if ((fn & 1) != 0 || fn == sn) {
      r = node_hash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return std::nullopt;
  return r;
}

} // namespace cbkit::seal
