// Minimal classic-pcap (LINKTYPE_ETHERNET) reader and writer for the interop tests: tcpdump -w
// writes this format, tshark reads it. Microsecond and nanosecond magics, both byte orders.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace xvrrp::interop {

struct PcapFrame {
    double timestamp = 0;  // seconds
    std::vector<std::uint8_t> bytes;
};

inline std::vector<PcapFrame> read_pcap(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open pcap " + path);
    std::vector<std::uint8_t> all((std::istreambuf_iterator<char>(in)), {});
    if (all.size() < 24) throw std::runtime_error(path + ": shorter than a pcap header");
    std::uint32_t magic;
    std::memcpy(&magic, all.data(), 4);
    bool swap = false, nanos = false;
    switch (magic) {
        case 0xa1b2c3d4: break;
        case 0xa1b23c4d: nanos = true; break;
        case 0xd4c3b2a1: swap = true; break;
        case 0x4d3cb2a1: swap = nanos = true; break;
        default: throw std::runtime_error(path + ": not a classic pcap file (pcapng? use tcpdump -w)");
    }
    auto u32 = [&](std::size_t at) {
        std::uint32_t v;
        std::memcpy(&v, all.data() + at, 4);
        return swap ? __builtin_bswap32(v) : v;
    };
    if (u32(20) != 1) throw std::runtime_error(path + ": link type " + std::to_string(u32(20)) + ", want Ethernet (1)");
    std::vector<PcapFrame> frames;
    std::size_t at = 24;
    while (at + 16 <= all.size()) {
        const std::uint32_t caplen = u32(at + 8);
        if (at + 16 + caplen > all.size()) break;  // tcpdump killed mid-write: drop the partial record
        PcapFrame f;
        f.timestamp = u32(at) + u32(at + 4) / (nanos ? 1e9 : 1e6);
        f.bytes.assign(all.begin() + static_cast<std::ptrdiff_t>(at + 16),
                       all.begin() + static_cast<std::ptrdiff_t>(at + 16 + caplen));
        frames.push_back(std::move(f));
        at += 16 + caplen;
    }
    return frames;
}

inline void write_pcap(const std::string& path, const std::vector<PcapFrame>& frames) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write pcap " + path);
    auto put32 = [&](std::uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
    auto put16 = [&](std::uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
    put32(0xa1b2c3d4);  // native order, microseconds
    put16(2);
    put16(4);
    put32(0);
    put32(0);
    put32(65535);
    put32(1);  // LINKTYPE_ETHERNET
    for (const auto& f : frames) {
        const auto secs = static_cast<std::uint32_t>(f.timestamp);
        put32(secs);
        put32(static_cast<std::uint32_t>((f.timestamp - secs) * 1e6));
        put32(static_cast<std::uint32_t>(f.bytes.size()));
        put32(static_cast<std::uint32_t>(f.bytes.size()));
        out.write(reinterpret_cast<const char*>(f.bytes.data()), static_cast<std::streamsize>(f.bytes.size()));
    }
    if (!out) throw std::runtime_error("write failed: " + path);
}

}  // namespace xvrrp::interop
