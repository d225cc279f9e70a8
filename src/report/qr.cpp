#include "cbkit/report/qr.hpp"

#include "cbkit/error.hpp"

#include <memory>
#include <qrencode.h>

namespace cbkit::report {

QrCode qr_encode(const std::string& text) {
  const std::unique_ptr<QRcode, decltype(&QRcode_free)> code(QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
  if (!code) throw Error(ErrorKind::internal, "QR code of '" + text + "': libqrencode could not encode it");
  QrCode out;
  out.width = code->width;
  const auto n = static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
  out.modules.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    out.modules[i] = (code->data[i] & 1) != 0;
  return out;
}

std::string qr_svg(const QrCode& code, int pixels) {
  const int quiet = 4;
  const int size = code.width + 2 * quiet;
  std::string path;
  for (int y = 0; y < code.width; ++y) {
    for (int x = 0; x < code.width; ++x) {
      if (!code.dark(x, y)) continue;
      // Runs of dark modules on a row become one rectangle: a shorter path.
      int run = 1;
      while (x + run < code.width && code.dark(x + run, y))
        ++run;
      path += "M" + std::to_string(x + quiet) + " " + std::to_string(y + quiet) + "h" + std::to_string(run) + "v1h-" + std::to_string(run) +
              "z";
      x += run - 1;
    }
  }
  const std::string px = std::to_string(pixels);
  return "<svg class=\"qr\" width=\"" + px + "\" height=\"" + px + "\" viewBox=\"0 0 " + std::to_string(size) + " " + std::to_string(size) +
         "\" role=\"img\" shape-rendering=\"crispEdges\"><rect width=\"" + std::to_string(size) + "\" height=\"" + std::to_string(size) +
         "\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + path + "\"/></svg>";
}

} // namespace cbkit::report
