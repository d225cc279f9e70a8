// libarchive, opened on first use: seal, pack, verify of an archive, add-chat of a .zip
// and export-wacz. See forward.hpp.

#include "lazy/forward.hpp"

#include <archive.h>
#include <archive_entry.h>

#define CBKIT_ARCHIVE_FUNCTIONS(X)                                                                                                         \
  X(void, archive_entry_copy_pathname, (struct archive_entry * a0, const char* a1), (a0, a1))                                              \
  X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * a0), (a0))                                                                \
  X(void, archive_entry_free, (struct archive_entry * a0), (a0))                                                                           \
  X(const char*, archive_entry_hardlink, (struct archive_entry * a0), (a0))                                                                \
  X(int, archive_entry_is_encrypted, (struct archive_entry * a0), (a0))                                                                    \
  X(struct archive_entry*, archive_entry_new, (), ())                                                                                      \
  X(const char*, archive_entry_pathname, (struct archive_entry * a0), (a0))                                                                \
  X(const char*, archive_entry_pathname_utf8, (struct archive_entry * a0), (a0))                                                           \
  X(void, archive_entry_set_filetype, (struct archive_entry * a0, unsigned int a1), (a0, a1))                                              \
  X(void, archive_entry_set_gid, (struct archive_entry * a0, la_int64_t a1), (a0, a1))                                                     \
  X(void, archive_entry_set_gname, (struct archive_entry * a0, const char* a1), (a0, a1))                                                  \
  X(void, archive_entry_set_mtime, (struct archive_entry * a0, time_t a1, long a2), (a0, a1, a2))                                          \
  X(void, archive_entry_set_pathname, (struct archive_entry * a0, const char* a1), (a0, a1))                                               \
  X(void, archive_entry_set_perm, (struct archive_entry * a0, __LA_MODE_T a1), (a0, a1))                                                   \
  X(void, archive_entry_set_size, (struct archive_entry * a0, la_int64_t a1), (a0, a1))                                                    \
  X(void, archive_entry_set_uid, (struct archive_entry * a0, la_int64_t a1), (a0, a1))                                                     \
  X(void, archive_entry_set_uname, (struct archive_entry * a0, const char* a1), (a0, a1))                                                  \
  X(la_int64_t, archive_entry_size, (struct archive_entry * a0), (a0))                                                                     \
  X(int, archive_entry_size_is_set, (struct archive_entry * a0), (a0))                                                                     \
  X(int, archive_entry_sparse_count, (struct archive_entry * a0), (a0))                                                                    \
  X(const char*, archive_entry_symlink, (struct archive_entry * a0), (a0))                                                                 \
  X(const char*, archive_error_string, (struct archive * a0), (a0))                                                                        \
  X(la_int64_t, archive_filter_bytes, (struct archive * a0, int a1), (a0, a1))                                                             \
  X(int, archive_filter_code, (struct archive * a0, int a1), (a0, a1))                                                                     \
  X(int, archive_filter_count, (struct archive * a0), (a0))                                                                                \
  X(const char*, archive_filter_name, (struct archive * a0, int a1), (a0, a1))                                                             \
  X(int, archive_format, (struct archive * a0), (a0))                                                                                      \
  X(const char*, archive_format_name, (struct archive * a0), (a0))                                                                         \
  X(la_ssize_t, archive_read_data, (struct archive * a0, void* a1, size_t a2), (a0, a1, a2))                                               \
  X(int, archive_read_data_skip, (struct archive * a0), (a0))                                                                              \
  X(int, archive_read_free, (struct archive * a0), (a0))                                                                                   \
  X(struct archive*, archive_read_new, (), ())                                                                                             \
  X(int, archive_read_next_header, (struct archive * a0, struct archive_entry * *a1), (a0, a1))                                            \
  X(int, archive_read_open1, (struct archive * a0), (a0))                                                                                  \
  X(int, archive_read_open_filename, (struct archive * a0, const char* a1, size_t a2), (a0, a1, a2))                                       \
  X(int, archive_read_set_callback_data, (struct archive * a0, void* a1), (a0, a1))                                                        \
  X(int, archive_read_set_read_callback, (struct archive * a0, archive_read_callback * a1), (a0, a1))                                      \
  X(int, archive_read_set_seek_callback, (struct archive * a0, archive_seek_callback * a1), (a0, a1))                                      \
  X(int, archive_read_set_skip_callback, (struct archive * a0, archive_skip_callback * a1), (a0, a1))                                      \
  X(int, archive_read_support_filter_bzip2, (struct archive * a0), (a0))                                                                   \
  X(int, archive_read_support_filter_gzip, (struct archive * a0), (a0))                                                                    \
  X(int, archive_read_support_filter_xz, (struct archive * a0), (a0))                                                                      \
  X(int, archive_read_support_filter_zstd, (struct archive * a0), (a0))                                                                    \
  X(int, archive_read_support_format_tar, (struct archive * a0), (a0))                                                                     \
  X(int, archive_read_support_format_zip, (struct archive * a0), (a0))                                                                     \
  X(int, archive_write_add_filter_gzip, (struct archive * a0), (a0))                                                                       \
  X(int, archive_write_add_filter_zstd, (struct archive * a0), (a0))                                                                       \
  X(int, archive_write_close, (struct archive * a0), (a0))                                                                                 \
  X(la_ssize_t, archive_write_data, (struct archive * a0, const void* a1, size_t a2), (a0, a1, a2))                                        \
  X(int, archive_write_free, (struct archive * a0), (a0))                                                                                  \
  X(int, archive_write_header, (struct archive * a0, struct archive_entry * a1), (a0, a1))                                                 \
  X(struct archive*, archive_write_new, (), ())                                                                                            \
  X(int, archive_write_open,                                                                                                               \
    (struct archive * a0, void* a1, archive_open_callback* a2, archive_write_callback* a3, archive_close_callback* a4),                    \
    (a0, a1, a2, a3, a4))                                                                                                                  \
  X(int, archive_write_open_filename, (struct archive * a0, const char* a1), (a0, a1))                                                     \
  X(int, archive_write_set_bytes_in_last_block, (struct archive * a0, int a1), (a0, a1))                                                   \
  X(int, archive_write_set_bytes_per_block, (struct archive * a0, int a1), (a0, a1))                                                       \
  X(int, archive_write_set_filter_option, (struct archive * a0, const char* a1, const char* a2, const char* a3), (a0, a1, a2, a3))         \
  X(int, archive_write_set_format_option, (struct archive * a0, const char* a1, const char* a2, const char* a3), (a0, a1, a2, a3))         \
  X(int, archive_write_set_format_pax_restricted, (struct archive * a0), (a0))                                                             \
  X(int, archive_write_set_format_zip, (struct archive * a0), (a0))

CBKIT_LAZY_LIBRARY(CBKIT_ARCHIVE_FUNCTIONS, require_archive, CBKIT_SONAME_ARCHIVE,
                   "to read and write archives (seal, pack, verify of an archive, add-chat of a .zip, export-wacz)", "libarchive13")

extern "C" {
CBKIT_ARCHIVE_FUNCTIONS(CBKIT_LAZY_FORWARD)
}
