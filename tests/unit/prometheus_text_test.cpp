#include "core/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace xvrrp;

TEST(PrometheusText, FamiliesLabelsAndValues) {
    std::vector<MetricFamily> f{
        {"xvrrp_group_state", "1 for the group's current state.", "gauge",
         {{{{"group", "X_VIP_1"}, {"state", "MASTER"}}, 1, ""}, {{{"group", "X_VIP_1"}, {"state", "BACKUP"}}, 0, ""}}},
        {"xvrrp_adverts_sent_total", "Adverts sent.", "counter", {{{}, 12345678901, ""}}},
        {"xvrrp_netlink_seconds", "Latency.", "histogram", {{{}, 0.25, "_sum"}, {{}, 3, "_count"}}},
    };
    EXPECT_EQ(prometheus_text(f),
              "# HELP xvrrp_group_state 1 for the group's current state.\n"
              "# TYPE xvrrp_group_state gauge\n"
              "xvrrp_group_state{group=\"X_VIP_1\",state=\"MASTER\"} 1\n"
              "xvrrp_group_state{group=\"X_VIP_1\",state=\"BACKUP\"} 0\n"
              "# HELP xvrrp_adverts_sent_total Adverts sent.\n"
              "# TYPE xvrrp_adverts_sent_total counter\n"
              "xvrrp_adverts_sent_total 12345678901\n"
              "# HELP xvrrp_netlink_seconds Latency.\n"
              "# TYPE xvrrp_netlink_seconds histogram\n"
              "xvrrp_netlink_seconds_sum 0.25\n"
              "xvrrp_netlink_seconds_count 3\n");
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
    std::vector<MetricFamily> f{{"m", "a\\b\nc", "gauge", {{{{"l", "q\"x\\y\nz"}}, 1, ""}}}};
    EXPECT_EQ(prometheus_text(f), "# HELP m a\\\\b\\nc\n# TYPE m gauge\nm{l=\"q\\\"x\\\\y\\nz\"} 1\n");
}

TEST(PrometheusText, SpecialValues) {
    std::vector<MetricFamily> f{{"m", "h", "gauge",
                                 {{{}, std::nan(""), ""}, {{}, std::numeric_limits<double>::infinity(), ""}, {{}, -0.5, ""}}}};
    EXPECT_EQ(prometheus_text(f), "# HELP m h\n# TYPE m gauge\nm NaN\nm +Inf\nm -0.5\n");
}
