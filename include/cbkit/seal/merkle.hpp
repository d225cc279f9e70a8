#pragma once

// RFC 9162 (Certificate Transparency 2.0) Merkle tree over the manifest lines: leaf hash
// SHA-256(0x00 || line bytes without LF), node hash SHA-256(0x01 || left || right), the
// left subtree of n leaves holding the largest power of two below n. Hashes are raw 32-byte
// strings.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::seal {

std::string leaf_hash(std::string_view line_bytes);
std::string node_hash(std::string_view left, std::string_view right);

// Root of a tree built leaf by leaf in O(log n) memory (a stack of perfect subtrees).
class TreeBuilder {
public:
  void add_leaf_hash(const std::string& leaf);
  std::uint64_t size() const { return m_size; }
  // MTH of the leaves added so far; SHA-256 of nothing for an empty tree.
  std::string root() const;

private:
  std::vector<std::pair<std::uint64_t, std::string>> m_stack; // (leaves below, hash)
  std::uint64_t m_size = 0;
};

// MTH(D[0:n]) of the first n leaf hashes (n <= leaves.size()).
std::string root_of(const std::vector<std::string>& leaves, std::size_t n);

// PATH(index, D[0:n]) (RFC 9162 2.1.3.1): the audit path, bottom first. Throws
// Error(internal) when index >= n or n > leaves.size().
std::vector<std::string> inclusion_proof(const std::vector<std::string>& leaves, std::size_t index, std::size_t n);

// RFC 9162 2.1.3.2: the root the proof leads to from `leaf` at `index` in a tree of `size`,
// or nullopt when the proof has the wrong length for that position.
std::optional<std::string> root_from_inclusion_proof(const std::string& leaf, std::uint64_t index, std::uint64_t size,
                                                     const std::vector<std::string>& proof);

} // namespace cbkit::seal
