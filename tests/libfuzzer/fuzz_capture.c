/* libFuzzer target for one capture reader, chosen when compiled
 * (FUZZ_READER_<name>, tests/libfuzzer/CMakeLists.txt): parse, then the
 * URB pairing and the Bulk-Only Transport decoding of iosim import
 * (fuzz_one.h). */
#include "tests/libfuzzer/fuzz_one.h"

static enum iosim_err reader(const uint8_t *b, size_t n, struct cap_capture *c,
                             struct cap_error *e)
{
#if defined(FUZZ_READER_usbmon_text)
    return cap_parse_usbmon_text((const char *)b, n, c, e);
#elif defined(FUZZ_READER_pcap)
    return cap_parse_pcap(b, n, c, e);
#elif defined(FUZZ_READER_pcapng)
    return cap_parse_pcapng(b, n, c, e);
#else
#error "define FUZZ_READER_usbmon_text, FUZZ_READER_pcap or FUZZ_READER_pcapng"
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    return fuzz_one(data, len, reader);
}
