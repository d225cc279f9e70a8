#pragma once

// Private to capture/: --browser-profile DIR. The user's Chromium profile (a user-data-dir
// in which they logged in) is copied into the browser's throw-away profile folder, and the
// browser runs on the copy: the original is only ever read, so it is byte-identical
// afterwards, and what the capture did to the copy (new cookies, history) is removed with it.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>

namespace cbkit::capture {

// The largest profile copied (the bytes of the files copied, caches excluded).
inline constexpr std::uint64_t k_max_profile_bytes = 2ull << 30;

// Copies `from` into the existing empty folder `to`: folders, regular files (each read
// through a no-follow descriptor and hashed while copied) and symbolic links that stay
// inside `from` (recreated as they are written). Caches and per-machine folders that carry
// no session are skipped (the table in browser_profile.cpp), as are sockets and FIFOs.
// Returns the record for browser.json: source (absolute path), files, bytes, links, skipped
// (relative paths), and file_list_sha256: the SHA-256 of the "sha256sum" lines
// ("<hex>  <relative path>\n") of every copied file, sorted by path.
// Throws Error(input) naming the path when `from` is not a folder, holds a SingletonLock
// (a Chromium is running on it, or crashed: its files may be half-written), holds a
// symbolic link that points outside it, is nested deeper than 64 folders or exceeds
// max_bytes; Error(io) when reading or writing fails.
nlohmann::json copy_profile(const std::filesystem::path& from, const std::filesystem::path& to,
                            std::uint64_t max_bytes = k_max_profile_bytes);

} // namespace cbkit::capture
