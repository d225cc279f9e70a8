#pragma once

// The layout of a zip file as standard tools see it (unzip, Python's zipfile): the end
// record they pick, the central directory it points at and the local headers the
// directory points at. A zip whose pieces disagree extracts differently with different
// readers (libarchive's streaming reader walks the local headers, unzip reads the last
// end record's directory), so verify accepts only a zip in which there is one answer.

#include <cstdint>
#include <string>
#include <vector>

namespace cbkit::verify {

struct ZipLayout {
  std::uint64_t members = 0;         // entries of the central directory
  std::vector<std::string> problems; // each a sentence naming what differs; empty when consistent
  bool problems_cut = false;         // more problems than were kept
};

// Checks the zip file open on `fd` (`size` bytes) in constant memory (pread, no seek):
//  - the end-of-central-directory record is the last one within the 64 KiB + 22 bytes at
//    the end of the file (as unzip and zipfile look for it), its comment reaches exactly to
//    the end of the file (zero bytes padding the last 10240-byte block, as earlier cbkit
//    versions wrote, are allowed), no other zip record hides in the comment; its zip64 locator and record when present;
//  - the central directory fills exactly the bytes the end record gives, with that many
//    entries, followed directly by the (zip64) end records;
//  - every directory entry points at a local header that agrees with it: name (byte for
//    byte), flags, compression method (stored or deflate, not encrypted), CRC-32 and both
//    sizes (in the header, its zip64 extra field or the data descriptor);
//  - the members follow one another in the directory's order from offset 0, with no gap
//    and no overlap, and the last one ends where the central directory begins.
// At most `max_members` entries are read (more is a problem). Never throws; an I/O error is
// a problem too.
ZipLayout check_zip_layout(int fd, std::uint64_t size, std::uint64_t max_members);

} // namespace cbkit::verify
