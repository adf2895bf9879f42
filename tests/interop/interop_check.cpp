// Interop vectors for the VRRP codec.
//   interop_check decode PCAP --version V --vrid N --priority P --interval-ms MS --src ADDR --vip ADDR...
//                        [--auth-pass KEY] [--checksum pseudo|plain] [--min-adverts N]
//     Every VRRP frame in PCAP (captured from keepalived) must decode with our codec and carry
//     exactly the expected fields; at least N adverts; their spacing must match the interval.
//   interop_check encode PCAP [--checksum pseudo|plain]
//     Writes Ethernet frames of adverts WE encode (v2 OpenShift PASS, v3 IPv4 10 ms, v3 IPv6) for
//     tshark's dissector to judge.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/checksum.hpp"
#include "core/vrrp_packet.hpp"
#include "pcap_file.hpp"

namespace {

using namespace xvrrp;
using interop::PcapFrame;

struct IpView {
    IpAddress src, dst;
    std::uint8_t ttl = 0;
    std::span<const std::uint8_t> packet;  // from the IP header on
    bool vrrp = false;
};

// Ethernet II (optionally one 802.1Q tag) -> IP header fields. Non-IP frames give vrrp == false.
IpView parse_frame(const std::vector<std::uint8_t>& f) {
    IpView v;
    if (f.size() < 14) return v;
    std::size_t off = 12;
    std::uint16_t type = static_cast<std::uint16_t>(f[off] << 8 | f[off + 1]);
    if (type == 0x8100 && f.size() >= 18) {
        off += 4;
        type = static_cast<std::uint16_t>(f[off] << 8 | f[off + 1]);
    }
    off += 2;
    v.packet = std::span(f).subspan(off);
    if (type == 0x0800 && v.packet.size() >= 20) {
        v.src = IpAddress::v4_bytes(&v.packet[12]);
        v.dst = IpAddress::v4_bytes(&v.packet[16]);
        v.ttl = v.packet[8];
        v.vrrp = v.packet[9] == kIpProtoVrrp;
    } else if (type == 0x86dd && v.packet.size() >= 40) {
        std::array<std::uint8_t, 16> s, d;
        std::copy_n(&v.packet[8], 16, s.begin());
        std::copy_n(&v.packet[24], 16, d.begin());
        v.src = IpAddress::v6(s);
        v.dst = IpAddress::v6(d);
        v.ttl = v.packet[7];
        v.vrrp = v.packet[6] == kIpProtoVrrp;
    }
    return v;
}

std::string join(const std::vector<IpAddress>& a) {
    std::string s;
    for (const auto& x : a) s += (s.empty() ? "" : ",") + x.to_string();
    return s;
}

IpAddress parse_ip(const std::string& text, const char* what) {
    auto a = IpAddress::parse(text);
    if (!a) throw CLI::ValidationError(what, "not an IP address: '" + text + "'");
    return *a;
}

struct DecodeArgs {
    std::string pcap;
    int version = 0, vrid = 0, priority = -1, interval_ms = 0, min_adverts = 3;
    std::string src, auth_pass, checksum = "pseudo";
    std::vector<std::string> vips;
};

int run_decode(const DecodeArgs& a) {
    const IpAddress want_src = parse_ip(a.src, "--src");
    std::vector<IpAddress> want_vips;
    for (const auto& v : a.vips) want_vips.push_back(parse_ip(v, "--vip"));
    const ChecksumMode mode = a.checksum == "plain" ? ChecksumMode::WithoutPseudoHeader : ChecksumMode::WithPseudoHeader;

    InstanceExpectations inst;
    inst.vrid = static_cast<std::uint8_t>(a.vrid);
    inst.family = want_src.family();
    inst.version = static_cast<std::uint8_t>(a.version);
    inst.advert_interval = std::chrono::milliseconds(a.interval_ms);
    inst.checksum_mode = mode;
    if (!a.auth_pass.empty()) {
        inst.auth_type = AuthType::Password;
        std::copy_n(a.auth_pass.begin(), std::min<std::size_t>(8, a.auth_pass.size()), inst.auth_key.begin());
    }
    const IpAddress want_dst = want_src.is_v4() ? *IpAddress::parse("224.0.0.18") : *IpAddress::parse("ff02::12");

    int adverts = 0, failures = 0, other_variant = 0;
    std::vector<double> times;
    auto problem = [&](int frame, const std::string& what) {
        if (++failures <= 10) std::cerr << "frame " << frame << ": " << what << "\n";
    };
    const auto frames = interop::read_pcap(a.pcap);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const int n = static_cast<int>(i + 1);
        const IpView ipv = parse_frame(frames[i].bytes);
        if (!ipv.vrrp) continue;
        ++adverts;
        const auto whole = decode_ip_datagram(ipv.packet);
        if (!whole.ok()) {
            problem(n, std::string("rejected: ") + std::string(reason_name(whole.reason)));
            continue;
        }
        const Advert& ad = whole.advert;
        std::ostringstream bad;
        if (ipv.src != want_src) bad << " src " << ipv.src.to_string() << " != " << want_src.to_string() << ";";
        if (ipv.dst != want_dst) bad << " dst " << ipv.dst.to_string() << " != " << want_dst.to_string() << ";";
        if (ipv.ttl != kVrrpTtl) bad << " ttl " << int{ipv.ttl} << ";";
        if (ad.version != a.version) bad << " version " << int{ad.version} << " != " << a.version << ";";
        if (ad.vrid != a.vrid) bad << " vrid " << int{ad.vrid} << " != " << a.vrid << ";";
        if (ad.priority != a.priority) bad << " priority " << int{ad.priority} << " != " << a.priority << ";";
        if (ad.max_advert_interval.count() != a.interval_ms)
            bad << " interval " << ad.max_advert_interval.count() << "ms != " << a.interval_ms << "ms;";
        if (ad.family != want_src.family()) bad << " family;";
        if (ad.addresses != want_vips) bad << " addresses [" << join(ad.addresses) << "] != [" << join(want_vips) << "];";
        if (a.version == 2) {
            const auto want_type = a.auth_pass.empty() ? AuthType::None : AuthType::Password;
            if (ad.auth_type != want_type) bad << " auth type " << int(ad.auth_type) << ";";
            if (ad.auth_key != inst.auth_key)
                bad << " auth key '" << std::string(ad.auth_key.begin(), ad.auth_key.end()) << "';";
        }
        const bool expected_ok = mode == ChecksumMode::WithPseudoHeader ? whole.checksum_pseudo_header_ok
                                                                          : whole.checksum_plain_ok;
        if (a.version == 3 && !expected_ok) bad << " checksum matches only the other v3 variant;";
        if (checksum_matched_only_other_variant(whole, mode)) ++other_variant;
        if (const auto r = validate_for_instance(ad, ipv.src, inst); r != Reason::Ok) {
            bad << " validate_for_instance: " << reason_name(r) << ";";
        }
        if (!bad.str().empty()) {
            problem(n, bad.str());
            continue;
        }
        times.push_back(frames[i].timestamp);
    }
    // keepalived sends one advert per interval as master: the median gap must be that interval
    // (within 50 %, scheduling jitter in a busy 2-core CI box included).
    double median_ms = 0;
    if (times.size() >= 3) {
        std::vector<double> gaps;
        for (std::size_t i = 1; i < times.size(); ++i) gaps.push_back((times[i] - times[i - 1]) * 1000);
        std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2), gaps.end());
        median_ms = gaps[gaps.size() / 2];
        if (median_ms < 0.5 * a.interval_ms || median_ms > 1.5 * a.interval_ms) {
            std::cerr << "median advert spacing " << median_ms << " ms, configured " << a.interval_ms << " ms\n";
            ++failures;
        }
    }
    std::printf("%s: %zu frames, %d VRRP adverts, %zu match every field (v%d vrid %d prio %d %d ms [%s] %s checksum), "
                "median spacing %.1f ms, %d with only the other checksum variant, %d failures\n",
                a.pcap.c_str(), frames.size(), adverts, times.size(), a.version, a.vrid, a.priority, a.interval_ms,
                join(want_vips).c_str(), a.version == 2 ? "v2" : a.checksum.c_str(), median_ms, other_variant, failures);
    if (adverts < a.min_adverts) {
        std::cerr << "only " << adverts << " VRRP adverts captured, want at least " << a.min_adverts
                  << " (is keepalived running and master?)\n";
        return 1;
    }
    return failures == 0 ? 0 : 1;
}

// Ethernet + IP header around a VRRP payload, as a VRRP router puts it on the wire: virtual MAC
// source (RFC 5798 7.3), multicast MAC destination, TTL/hop limit 255, IPv4 DSCP CS6 like keepalived.
std::vector<std::uint8_t> frame(const std::vector<std::uint8_t>& vrrp, std::uint8_t vrid, const IpAddress& src,
                                const IpAddress& dst) {
    std::vector<std::uint8_t> f;
    if (src.is_v4()) {
        f = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x00, 0x00, 0x5e, 0x00, 0x01, vrid, 0x08, 0x00};
        const auto total = static_cast<std::uint16_t>(20 + vrrp.size());
        std::vector<std::uint8_t> h{0x45, 0xc0, static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total),
                                    0, 0, 0, 0, 255, kIpProtoVrrp, 0, 0};
        h.insert(h.end(), src.bytes().begin(), src.bytes().begin() + 4);
        h.insert(h.end(), dst.bytes().begin(), dst.bytes().begin() + 4);
        const auto c = internet_checksum(h);
        h[10] = static_cast<std::uint8_t>(c >> 8);
        h[11] = static_cast<std::uint8_t>(c);
        f.insert(f.end(), h.begin(), h.end());
    } else {
        f = {0x33, 0x33, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x5e, 0x00, 0x02, vrid, 0x86, 0xdd};
        const std::vector<std::uint8_t> h{0x60, 0, 0, 0, static_cast<std::uint8_t>(vrrp.size() >> 8),
                                          static_cast<std::uint8_t>(vrrp.size()), kIpProtoVrrp, 255};
        f.insert(f.end(), h.begin(), h.end());
        f.insert(f.end(), src.bytes().begin(), src.bytes().end());
        f.insert(f.end(), dst.bytes().begin(), dst.bytes().end());
    }
    f.insert(f.end(), vrrp.begin(), vrrp.end());
    return f;
}

int run_encode(const std::string& path, const std::string& checksum) {
    const ChecksumMode mode = checksum == "plain" ? ChecksumMode::WithoutPseudoHeader : ChecksumMode::WithPseudoHeader;
    using namespace std::chrono_literals;
    struct Out {
        Advert advert;
        IpAddress src, dst;
    };
    std::vector<Out> outs(3);
    auto& v2 = outs[0];
    v2.advert.version = 2;
    v2.advert.vrid = 51;
    v2.advert.priority = 253;
    v2.advert.max_advert_interval = 1s;
    v2.advert.auth_type = AuthType::Password;
    const std::string key = "OpenShif";
    std::copy(key.begin(), key.end(), v2.advert.auth_key.begin());
    v2.advert.addresses = {*IpAddress::parse("198.51.100.10")};
    v2.src = *IpAddress::parse("198.51.100.1");
    v2.dst = *IpAddress::parse("224.0.0.18");
    auto& v34 = outs[1];
    v34.advert.version = 3;
    v34.advert.vrid = 52;
    v34.advert.priority = 200;
    v34.advert.max_advert_interval = 10ms;
    v34.advert.addresses = {*IpAddress::parse("198.51.100.20"), *IpAddress::parse("198.51.100.21")};
    v34.src = v2.src;
    v34.dst = v2.dst;
    auto& v36 = outs[2];
    v36.advert.version = 3;
    v36.advert.vrid = 53;
    v36.advert.priority = 100;
    v36.advert.max_advert_interval = 4095 * 10ms;
    v36.advert.family = Family::V6;
    v36.advert.addresses = {*IpAddress::parse("2001:db8::20")};
    v36.src = *IpAddress::parse("fe80::1");
    v36.dst = *IpAddress::parse("ff02::12");

    std::vector<PcapFrame> frames;
    double t = 1700000000.0;
    for (const auto& o : outs) {
        const auto vrrp = encode_advert(o.advert, o.src, o.dst, mode);
        if (vrrp.empty()) {
            std::cerr << "encode failed: " << encode_problem(o.advert, o.src) << "\n";
            return 1;
        }
        frames.push_back({t, frame(vrrp, o.advert.vrid, o.src, o.dst)});
        t += 0.01;
    }
    interop::write_pcap(path, frames);
    std::printf("%s: %zu adverts written (v2 PASS, v3 IPv4, v3 IPv6; %s checksum)\n", path.c_str(), frames.size(),
                checksum.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"VRRP codec interop vectors (keepalived captures, tshark)"};
    app.require_subcommand(1);
    DecodeArgs d;
    auto* dec = app.add_subcommand("decode", "check keepalived's adverts in a pcap with our decoder");
    dec->add_option("pcap", d.pcap)->required()->check(CLI::ExistingFile);
    dec->add_option("--version", d.version)->required()->check(CLI::IsMember({2, 3}));
    dec->add_option("--vrid", d.vrid)->required()->check(CLI::Range(1, 255));
    dec->add_option("--priority", d.priority)->required()->check(CLI::Range(0, 255));
    dec->add_option("--interval-ms", d.interval_ms)->required()->check(CLI::Range(10, 255000));
    dec->add_option("--src", d.src, "keepalived's source address")->required();
    dec->add_option("--vip", d.vips, "expected addresses, in order")->required();
    dec->add_option("--auth-pass", d.auth_pass, "v2 PASS key as keepalived sends it (8 chars)");
    dec->add_option("--checksum", d.checksum)->check(CLI::IsMember({"pseudo", "plain"}));
    dec->add_option("--min-adverts", d.min_adverts);
    std::string enc_path, enc_checksum = "pseudo";
    auto* enc = app.add_subcommand("encode", "write adverts we encode to a pcap");
    enc->add_option("pcap", enc_path)->required();
    enc->add_option("--checksum", enc_checksum)->check(CLI::IsMember({"pseudo", "plain"}));
    CLI11_PARSE(app, argc, argv);
    try {
        if (*dec) return run_decode(d);
        return run_encode(enc_path, enc_checksum);
    } catch (const std::exception& e) {
        std::cerr << "interop_check: " << e.what() << "\n";
        return 1;
    }
}
