#pragma once

#include <cstddef>
#include <string>

namespace cbkit::store {

// The media type (e.g. "image/jpeg") of content that starts with `head`, by libmagic;
// "application/octet-stream" when it cannot tell.
std::string media_type_of(const void* head, std::size_t size);

} // namespace cbkit::store
