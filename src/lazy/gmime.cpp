// GMime 3 (and the GLib and GObject functions its macros and objects need), opened on
// first use: add-email. See forward.hpp.

#include "lazy/forward.hpp"

#include <gmime/gmime.h>

#define CBKIT_GMIME_FUNCTIONS(X)                                                                                                           \
  X(void, g_free, (gpointer a0), (a0))                                                                                                     \
  X(const char*, g_mime_content_encoding_to_string, (GMimeContentEncoding a0), (a0))                                                       \
  X(char*, g_mime_content_type_get_mime_type, (GMimeContentType * a0), (a0))                                                               \
  X(const char*, g_mime_content_type_get_parameter, (GMimeContentType * a0, const char* a1), (a0, a1))                                     \
  X(gboolean, g_mime_content_type_is_type, (GMimeContentType * a0, const char* a1, const char* a2), (a0, a1, a2))                          \
  X(GMimeStream*, g_mime_data_wrapper_get_stream, (GMimeDataWrapper * a0), (a0))                                                           \
  X(ssize_t, g_mime_data_wrapper_write_to_stream, (GMimeDataWrapper * a0, GMimeStream * a1), (a0, a1))                                     \
  X(GMimeFilter*, g_mime_filter_charset_new, (const char* a0, const char* a1), (a0, a1))                                                   \
  X(int, g_mime_iconv_close, (iconv_t a0), (a0))                                                                                           \
  X(iconv_t, g_mime_iconv_open, (const char* a0, const char* a1), (a0, a1))                                                                \
  X(void, g_mime_init, (), ())                                                                                                             \
  X(GMimeObject*, g_mime_message_get_mime_part, (GMimeMessage * a0), (a0))                                                                 \
  X(GMimeMessage*, g_mime_message_part_get_message, (GMimeMessagePart * a0), (a0))                                                         \
  X(GType, g_mime_message_part_get_type, (), ())                                                                                           \
  X(int, g_mime_multipart_get_count, (GMimeMultipart * a0), (a0))                                                                          \
  X(GMimeObject*, g_mime_multipart_get_part, (GMimeMultipart * a0, int a1), (a0, a1))                                                      \
  X(GType, g_mime_multipart_get_type, (), ())                                                                                              \
  X(const char*, g_mime_object_get_content_disposition_parameter, (GMimeObject * a0, const char* a1), (a0, a1))                            \
  X(GMimeContentType*, g_mime_object_get_content_type, (GMimeObject * a0), (a0))                                                           \
  X(const char*, g_mime_object_get_content_type_parameter, (GMimeObject * a0, const char* a1), (a0, a1))                                   \
  X(const char*, g_mime_object_get_disposition, (GMimeObject * a0), (a0))                                                                  \
  X(const char*, g_mime_object_get_header, (GMimeObject * a0, const char* a1), (a0, a1))                                                   \
  X(GType, g_mime_object_get_type, (), ())                                                                                                 \
  X(ssize_t, g_mime_object_write_to_stream, (GMimeObject * a0, GMimeFormatOptions * a1, GMimeStream * a2), (a0, a1, a2))                   \
  X(GMimeMessage*, g_mime_parser_construct_message, (GMimeParser * a0, GMimeParserOptions * a1), (a0, a1))                                 \
  X(GMimeParser*, g_mime_parser_new_with_stream, (GMimeStream * a0), (a0))                                                                 \
  X(void, g_mime_parser_options_free, (GMimeParserOptions * a0), (a0))                                                                     \
  X(GMimeParserOptions*, g_mime_parser_options_new, (), ())                                                                                \
  X(void, g_mime_parser_options_set_warning_callback, (GMimeParserOptions * a0, GMimeParserWarningFunc a1, gpointer a2), (a0, a1, a2))     \
  X(void, g_mime_parser_set_format, (GMimeParser * a0, GMimeFormat a1), (a0, a1))                                                          \
  X(GMimeDataWrapper*, g_mime_part_get_content, (GMimePart * a0), (a0))                                                                    \
  X(GMimeContentEncoding, g_mime_part_get_content_encoding, (GMimePart * a0), (a0))                                                        \
  X(const char*, g_mime_part_get_filename, (GMimePart * a0), (a0))                                                                         \
  X(GType, g_mime_part_get_type, (), ())                                                                                                   \
  X(gboolean, g_mime_part_is_attachment, (GMimePart * a0), (a0))                                                                           \
  X(int, g_mime_stream_filter_add, (GMimeStreamFilter * a0, GMimeFilter * a1), (a0, a1))                                                   \
  X(GType, g_mime_stream_filter_get_type, (), ())                                                                                          \
  X(GMimeStream*, g_mime_stream_filter_new, (GMimeStream * a0), (a0))                                                                      \
  X(int, g_mime_stream_flush, (GMimeStream * a0), (a0))                                                                                    \
  X(GMimeStream*, g_mime_stream_fs_new, (int a0), (a0))                                                                                    \
  X(gint64, g_mime_stream_length, (GMimeStream * a0), (a0))                                                                                \
  X(GByteArray*, g_mime_stream_mem_get_byte_array, (GMimeStreamMem * a0), (a0))                                                            \
  X(GType, g_mime_stream_mem_get_type, (), ())                                                                                             \
  X(GMimeStream*, g_mime_stream_mem_new, (), ())                                                                                           \
  X(GMimeStream*, g_mime_stream_mem_new_with_buffer, (const char* a0, size_t a1), (a0, a1))                                                \
  X(ssize_t, g_mime_stream_write, (GMimeStream * a0, const char* a1, size_t a2), (a0, a1, a2))                                             \
  X(char*, g_mime_text_part_get_text, (GMimeTextPart * a0), (a0))                                                                          \
  X(GType, g_mime_text_part_get_type, (), ())                                                                                              \
  X(char*, g_mime_utils_header_decode_text, (GMimeParserOptions * a0, const char* a1), (a0, a1))                                           \
  X(void, g_object_unref, (gpointer a0), (a0))                                                                                             \
  X(GTypeInstance*, g_type_check_instance_cast, (GTypeInstance * a0, GType a1), (a0, a1))                                                  \
  X(gboolean, g_type_check_instance_is_a, (GTypeInstance * a0, GType a1), (a0, a1))                                                        \
  X(const char*, internet_address_get_name, (InternetAddress * a0), (a0))                                                                  \
  X(InternetAddressList*, internet_address_group_get_members, (InternetAddressGroup * a0), (a0))                                           \
  X(GType, internet_address_group_get_type, (), ())                                                                                        \
  X(InternetAddress*, internet_address_list_get_address, (InternetAddressList * a0, int a1), (a0, a1))                                     \
  X(int, internet_address_list_length, (InternetAddressList * a0), (a0))                                                                   \
  X(InternetAddressList*, internet_address_list_parse, (GMimeParserOptions * a0, const char* a1), (a0, a1))                                \
  X(const char*, internet_address_mailbox_get_addr, (InternetAddressMailbox * a0), (a0))                                                   \
  X(GType, internet_address_mailbox_get_type, (), ())

// dlsym on GMime's handle also finds g_free, g_object_unref and the g_type_* checks: it
// searches the libraries GMime itself needs (GLib, GObject) too.
CBKIT_LAZY_LIBRARY(CBKIT_GMIME_FUNCTIONS, require_gmime, CBKIT_SONAME_GMIME, "to read e-mail (add-email)", "libgmime-3.0-0")

extern "C" {
CBKIT_GMIME_FUNCTIONS(CBKIT_LAZY_FORWARD)
}
