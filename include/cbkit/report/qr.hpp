#pragma once

#include <string>
#include <vector>

namespace cbkit::report {

// A QR code as a square of modules (true = dark), without the quiet zone.
struct QrCode {
  int width = 0;
  std::vector<bool> modules; // row-major, width * width

  bool dark(int x, int y) const { return modules[static_cast<std::size_t>(y * width + x)]; }
};

// Encodes `text` (8-bit mode, error correction level M) with libqrencode. Throws
// Error(internal) when libqrencode fails (text too long for a QR code).
QrCode qr_encode(const std::string& text);

// The code as an inline SVG element (no xmlns: HTML5 parses <svg> in its namespace), one
// path of unit squares with a four-module quiet zone, `pixels` wide, black on white.
std::string qr_svg(const QrCode& code, int pixels);

} // namespace cbkit::report
