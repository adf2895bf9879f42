// Where our XDP program sits on the interface, and taking it off again, with the least privilege
// that can do it. The netlink link dump (bpf_xdp_query) names the program attached in each mode,
// and detaching with XDP_FLAGS_REPLACE and our own fd as the expected program is netlink too:
// CAP_NET_ADMIN is enough. libxdp is asked only when another program holds the interface (its
// multi-program dispatcher, or someone else's program): libxdp looks attached programs up by id
// (BPF_PROG_GET_FD_BY_ID, BPF_BTF_GET_FD_BY_ID), which needs CAP_SYS_ADMIN on every kernel.
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include <cerrno>

#include "adapters/dataplane_internal.hpp"

namespace xvrrp::dataplane {

namespace {

std::uint32_t mode_flag(xdp_attach_mode m) {
    switch (m) {
        case XDP_MODE_SKB: return XDP_FLAGS_SKB_MODE;
        case XDP_MODE_HW: return XDP_FLAGS_HW_MODE;
        default: return XDP_FLAGS_DRV_MODE;
    }
}

std::string sys_admin_hint(int err) {
    if (err != -EPERM && err != -EACCES) return "";
    return " (libxdp looks attached programs up by id, which needs CAP_SYS_ADMIN: add SYS_ADMIN, "
           "see deploy/README.md, least privilege)";
}

// Is our program one of those under libxdp's dispatcher on ifindex? Returns its mode, nullopt
// when not, or the error libxdp met (EPERM without CAP_SYS_ADMIN).
Outcome<std::optional<xdp_attach_mode>> under_dispatcher(int ifindex, std::uint32_t prog_id) {
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
    long err = libxdp_get_error(mp);
    // ENOENT: the other program went away since netlink named it, so nothing holds ours.
    if (!mp || err == -ENOENT) return std::optional<xdp_attach_mode>{};
    if (err) return Error{errno_text(static_cast<int>(err)) + sys_admin_hint(static_cast<int>(err))};
    bool found = false;
    if (!xdp_multiprog__is_legacy(mp))
        for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p && !found;
             p = xdp_multiprog__next_prog(p, mp))
            found = xdp_program__id(p) == prog_id;
    std::optional<xdp_attach_mode> mode;
    if (found) mode = xdp_multiprog__attach_mode(mp);
    xdp_multiprog__close(mp);
    return mode;
}

// The program attached in each mode, from the netlink link dump (no bpf() call).
Outcome<bpf_xdp_query_opts> query(int ifindex) {
    bpf_xdp_query_opts q{};
    q.sz = sizeof(q);
    if (int rc = bpf_xdp_query(ifindex, 0, &q))
        return Error{fmt::format("asking netlink which XDP program is attached: {}",
                                 errno_text(rc))};
    return q;
}

}  // namespace

Outcome<std::uint32_t> attached_program_id(int ifindex) {
    auto q = query(ifindex);
    if (!q) return q.error();
    for (std::uint32_t id : {q.value().drv_prog_id, q.value().skb_prog_id, q.value().hw_prog_id})
        if (id) return id;
    return std::uint32_t{0};
}

Outcome<Attachment> find_attachment(int ifindex, std::uint32_t prog_id,
                                    const std::string& ifname) {
    auto answer = query(ifindex);
    if (!answer) return Error{fmt::format("{} ({})", answer.error().message, ifname)};
    const bpf_xdp_query_opts& q = answer.value();
    Attachment at;
    if (prog_id == 0) {
        // No id means no program of ours to look for (its info could not be read).
    } else if (q.drv_prog_id == prog_id) at = {Attachment::Where::Direct, XDP_MODE_NATIVE, 0};
    else if (q.skb_prog_id == prog_id) at = {Attachment::Where::Direct, XDP_MODE_SKB, 0};
    else if (q.hw_prog_id == prog_id) at = {Attachment::Where::Direct, XDP_MODE_HW, 0};
    if (at.where == Attachment::Where::Direct) return at;
    for (std::uint32_t id : {q.drv_prog_id, q.skb_prog_id, q.hw_prog_id})
        if (id) at.other_id = id;
    if (at.other_id == 0) return at;  // nothing attached at all
    auto sub = under_dispatcher(ifindex, prog_id);
    if (!sub)
        return Error{fmt::format("XDP program {} holds {}, not ours ({}); telling whether ours "
                                 "runs under it (libxdp's dispatcher) failed: {}", at.other_id,
                                 ifname, prog_id, sub.error().message)};
    if (sub.value()) at = {Attachment::Where::UnderDispatcher, *sub.value(), at.other_id};
    return at;
}

Status detach_program(int ifindex, int prog_fd, const Attachment& at, const std::string& ifname) {
    switch (at.where) {
        case Attachment::Where::Absent: return {};
        case Attachment::Where::Direct: {
            // REPLACE makes the kernel compare the attached program with ours (by fd, no id
            // lookup) in the same netlink request: never removes a program put there since.
            bpf_xdp_attach_opts opts{};
            opts.sz = sizeof(opts);
            opts.old_prog_fd = prog_fd;
            int rc = bpf_xdp_detach(ifindex, mode_flag(at.mode) | XDP_FLAGS_REPLACE, &opts);
            if (rc == 0) return {};
            return {fmt::format("detaching XDP from {}: {}{}", ifname, errno_text(rc),
                                rc == -EEXIST ? " (another program replaced ours meanwhile)" : "")};
        }
        case Attachment::Where::UnderDispatcher: {
            // libxdp 1.3 duplicates the fd it is given: ours stays open and ours to close.
            xdp_program* prog = xdp_program__from_fd(prog_fd);
            if (long err = libxdp_get_error(prog))
                return {fmt::format("detaching XDP from libxdp's dispatcher on {}: {}{}", ifname,
                                    errno_text(static_cast<int>(err)),
                                    sys_admin_hint(static_cast<int>(err)))};
            int rc = xdp_program__detach(prog, ifindex, at.mode, 0);
            xdp_program__close(prog);
            if (rc == 0) return {};
            return {fmt::format("detaching XDP from libxdp's dispatcher on {}: {}{}", ifname,
                                errno_text(rc), sys_admin_hint(rc))};
        }
    }
    return {"detaching XDP: unknown attachment"};
}

}  // namespace xvrrp::dataplane
