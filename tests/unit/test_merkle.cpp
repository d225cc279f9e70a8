#include "cbkit/seal/merkle.hpp"
#include "cbkit/util/sha256.hpp"

#include <catch2/catch.hpp>

using namespace cbkit;

namespace {

std::string raw_sha256(const std::string& bytes) {
  util::Sha256 h;
  h.update(bytes);
  const util::Digest d = h.finish();
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string hex(const std::string& raw) { return util::to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()); }

// The leaves of the RFC 6962 / certificate-transparency test suite (RFC 9162 keeps the
// same hashing).
std::vector<std::string> ct_leaves() {
  return {std::string(),
          std::string("\x00", 1),
          std::string("\x10", 1),
          std::string("\x20\x21", 2),
          std::string("\x30\x31", 2),
          std::string("\x40\x41\x42\x43", 4),
          std::string("\x50\x51\x52\x53\x54\x55\x56\x57", 8),
          std::string("\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16)};
}

std::vector<std::string> leaf_hashes(const std::vector<std::string>& data) {
  std::vector<std::string> out;
  for (const auto& d : data)
    out.push_back(seal::leaf_hash(d));
  return out;
}

} // namespace

TEST_CASE("leaf and node hashes use the RFC 9162 domain separation bytes") {
  CHECK(seal::leaf_hash("abc") == raw_sha256(std::string("\x00", 1) + "abc"));
  CHECK(seal::node_hash("L", "R") == raw_sha256("\x01LR"));
  // The empty tree's root is SHA-256 of nothing.
  seal::TreeBuilder empty;
  CHECK(hex(empty.root()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("roots computed by hand from the definition") {
  const auto l = leaf_hashes({"line 0", "line 1", "line 2", "line 3", "line 4"});
  const std::string n01 = raw_sha256("\x01" + l[0] + l[1]);
  const std::string n23 = raw_sha256("\x01" + l[2] + l[3]);
  const std::string n0123 = raw_sha256("\x01" + n01 + n23);
  CHECK(seal::root_of(l, 1) == l[0]);
  CHECK(seal::root_of(l, 2) == n01);
  // n = 3: k = 2, so the left subtree is the perfect pair and leaf 2 hangs on the right.
  CHECK(seal::root_of(l, 3) == raw_sha256("\x01" + n01 + l[2]));
  CHECK(seal::root_of(l, 4) == n0123);
  CHECK(seal::root_of(l, 5) == raw_sha256("\x01" + n0123 + l[4]));
}

TEST_CASE("roots match the certificate-transparency reference vectors") {
  const auto l = leaf_hashes(ct_leaves());
  const char* roots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  seal::TreeBuilder b;
  for (std::size_t n = 1; n <= 8; ++n) {
    b.add_leaf_hash(l[n - 1]);
    INFO("tree size " << n);
    CHECK(hex(seal::root_of(l, n)) == roots[n - 1]);
    CHECK(hex(b.root()) == roots[n - 1]); // the streaming builder agrees
  }
}

TEST_CASE("inclusion proof of leaf 2 in a tree of 5, by hand") {
  const auto l = leaf_hashes({"a", "b", "c", "d", "e"});
  const std::string n01 = raw_sha256("\x01" + l[0] + l[1]);
  // PATH(2, D[0:5]) = PATH(2, D[0:4]) + MTH(D[4:5]) = [l3, MTH(D[0:2])] + [l4]
  const auto proof = seal::inclusion_proof(l, 2, 5);
  REQUIRE(proof.size() == 3);
  CHECK(proof[0] == l[3]);
  CHECK(proof[1] == n01);
  CHECK(proof[2] == l[4]);
  const auto root = seal::root_from_inclusion_proof(l[2], 2, 5, proof);
  REQUIRE(root);
  CHECK(*root == seal::root_of(l, 5));
}

TEST_CASE("every inclusion proof of every tree up to 8 leads to the root; altered ones do not") {
  const auto l = leaf_hashes(ct_leaves());
  for (std::size_t n = 1; n <= 8; ++n) {
    const std::string root = seal::root_of(l, n);
    for (std::size_t i = 0; i < n; ++i) {
      INFO("leaf " << i << " of " << n);
      auto proof = seal::inclusion_proof(l, i, n);
      const auto r = seal::root_from_inclusion_proof(l[i], i, n, proof);
      REQUIRE(r);
      CHECK(*r == root);
      // Another leaf at the same position does not lead there.
      const auto wrong_leaf = seal::root_from_inclusion_proof(seal::leaf_hash("forged"), i, n, proof);
      CHECK((!wrong_leaf || *wrong_leaf != root));
      if (n > 1) {
        // The same leaf claimed at another position does not either.
        const auto moved = seal::root_from_inclusion_proof(l[i], (i + 1) % n, n, proof);
        CHECK((!moved || *moved != root));
        // A flipped byte in the path breaks it.
        proof[0][0] = static_cast<char>(proof[0][0] ^ 1);
        const auto flipped = seal::root_from_inclusion_proof(l[i], i, n, proof);
        CHECK((!flipped || *flipped != root));
        // A path too short or too long for the position is refused outright.
        auto shorter = seal::inclusion_proof(l, i, n);
        shorter.pop_back();
        const auto s = seal::root_from_inclusion_proof(l[i], i, n, shorter);
        CHECK((!s || *s != root));
        auto longer = seal::inclusion_proof(l, i, n);
        longer.push_back(l[0]);
        CHECK_FALSE(seal::root_from_inclusion_proof(l[i], i, n, longer));
      }
    }
  }
  CHECK_FALSE(seal::root_from_inclusion_proof(l[0], 3, 3, {}));
}
