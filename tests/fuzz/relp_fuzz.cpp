// libFuzzer target: bytes as a RELP stream, fed whole and split at a
// data-chosen point; must frame the same either way, never hand out data
// over the limit nor hold more than a frame.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ticketd/ingest/relp_framer.hpp"

namespace {

constexpr size_t kLimit = 256;

struct Out {
  std::vector<std::string> frames;
  bool failed = false;
};

Out frame(std::string_view a, std::string_view b) {
  Out out;
  ticketd::ingest::RelpFramer f(kLimit);
  auto on_frame = [&](const ticketd::ingest::RelpFrame& fr) {
    if (fr.data.size() > kLimit || fr.command.empty() ||
        fr.command.size() > ticketd::ingest::RelpFramer::kMaxCommand ||
        fr.txnr > ticketd::ingest::RelpFramer::kMaxTxnr)
      __builtin_trap();
    out.frames.push_back(std::to_string(fr.txnr) + " " + std::string(fr.command) + " " +
                         std::string(fr.data));
  };
  for (std::string_view part : {a, b}) {
    if (!f.feed(part, on_frame)) {
      out.failed = true;
      break;
    }
    if (f.buffered() > kLimit + 64) __builtin_trap();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t cut = size > 0 ? data[0] % (size + 1) : 0;
  Out whole = frame(input, {});
  Out split = frame(input.substr(0, cut), input.substr(cut));
  if (whole.failed != split.failed || whole.frames != split.frames) __builtin_trap();
  return 0;
}
