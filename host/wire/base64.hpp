// Base64 (RFC 4648, with padding) for session bytes on the JSON-RPC wire.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::wire {

[[nodiscard]] std::string base64_encode(std::string_view bytes);
// nullopt when text is not valid base64.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace berth::wire
