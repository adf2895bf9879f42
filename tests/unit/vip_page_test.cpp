// /status/vips' query (core/vip_page.hpp): the page a client gets is bounded, and a bad query is
// refused naming the parameter.
#include "core/vip_page.hpp"

#include <gtest/gtest.h>

using namespace xvrrp;

namespace {

std::optional<VipPage> page(std::string_view q, std::size_t groups, std::string* err = nullptr) {
    std::string e;
    auto p = parse_vip_page(q, groups, e);
    if (err) *err = e;
    return p;
}

}  // namespace

TEST(VipPage, DefaultsAndExplicitValues) {
    auto p = page("group=3", 16);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->group, 3u);
    EXPECT_EQ(p->offset, 0u);
    EXPECT_EQ(p->limit, kVipPageDefault);
    p = page("limit=1024&offset=4096&group=16&other=x", 16);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->group, 16u);
    EXPECT_EQ(p->offset, 4096u);
    EXPECT_EQ(p->limit, 1024u);
}

TEST(VipPage, TheLimitIsCapped) {
    EXPECT_EQ(kVipPageMax, 1024u);
    std::string err;
    EXPECT_FALSE(page("group=1&limit=1025", 4, &err));
    EXPECT_EQ(err, "limit: expected a number 1..1024, got \"1025\"");
    EXPECT_FALSE(page("group=1&limit=0", 4, &err));
    EXPECT_FALSE(page("group=1&limit=99999999999999999999999", 4, &err)) << "overflow";
}

TEST(VipPage, BadOrMissingValuesNameTheParameter) {
    std::string err;
    EXPECT_FALSE(page("", 4, &err));
    EXPECT_EQ(err, "group: required (a number 1..4)");
    EXPECT_FALSE(page("group=5", 4, &err));
    EXPECT_EQ(err, "group: expected a number 1..4, got \"5\"");
    EXPECT_FALSE(page("group=0", 4, &err));
    for (const char* q : {"group=1&offset=-1", "group=1&offset=1x", "group=1&offset=", "group=1&offset= 1",
                          "group=1&offset=+1", "group=1&offset=99999999999"}) {
        EXPECT_FALSE(page(q, 4, &err)) << q;
        EXPECT_EQ(err.rfind("offset: ", 0), 0u) << q << ": " << err;
    }
    EXPECT_FALSE(page("group=%01\"x", 4, &err));
    EXPECT_EQ(err, "group: expected a number 1..4, got \"%01?x\"") << "quotes are not echoed";
    EXPECT_FALSE(page("group=1", 0, &err));
}
