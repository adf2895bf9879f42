#include "answer_log.hpp"

#include <gtest/gtest.h>

using namespace xvrrp::probe;

namespace {
const Mac kA{2, 0, 0, 0, 0, 1};
const Mac kB{2, 0, 0, 0, 0, 2};

// One reply every `step` ms from `mac` on [from, to].
void answer(AnswerLog& log, const Mac& mac, double from, double to, double step = 1.0) {
  for (double t = from; t <= to + 1e-9; t += step) log.record(t, mac);
}
}  // namespace

TEST(AnswerLog, SteadyAnswersHaveNoGapsAndOneRun) {
  AnswerLog log(3.0);
  answer(log, kA, 0.5, 100.5);
  log.finish(101.0);
  EXPECT_EQ(log.replies(), 101u);
  EXPECT_DOUBLE_EQ(*log.first_answer_ms(), 0.5);
  EXPECT_TRUE(log.gaps().empty());
  ASSERT_TRUE(log.longest_gap());
  EXPECT_NEAR(log.longest_gap()->ms(), 1.0, 1e-9);  // the reply spacing
  ASSERT_EQ(log.runs().size(), 1u);
  EXPECT_TRUE(log.splits().empty());
}

TEST(AnswerLog, FailoverIsOneGapAndNoSplit) {
  AnswerLog log(3.0);
  answer(log, kA, 0, 100);
  answer(log, kB, 140, 200);  // 40 ms without an answer, then another MAC
  log.finish(200.5);
  ASSERT_EQ(log.gaps().size(), 1u);
  EXPECT_DOUBLE_EQ(log.gaps()[0].start_ms, 100);
  EXPECT_DOUBLE_EQ(log.gaps()[0].end_ms, 140);
  EXPECT_FALSE(log.gaps()[0].open);
  EXPECT_DOUBLE_EQ(log.longest_gap()->ms(), 40);
  EXPECT_EQ(log.runs().size(), 2u);
  EXPECT_TRUE(log.splits().empty());
  EXPECT_EQ(log.replies_by_mac().at(kA), 101u);
  EXPECT_EQ(log.replies_by_mac().at(kB), 61u);
}

TEST(AnswerLog, InstantHandoverWithinToleranceIsNotASplit) {
  AnswerLog log(3.0);
  answer(log, kA, 0, 50);
  answer(log, kB, 50.5, 100);  // B starts half a millisecond after A's last reply
  log.finish(100);
  EXPECT_TRUE(log.splits().empty());
}

TEST(AnswerLog, TwoMacsAnsweringTogetherIsASplitOverTheOverlap) {
  AnswerLog log(3.0);
  for (double t = 0; t <= 100; t += 1.0) {
    log.record(t, kA);
    if (t >= 30 && t <= 60) log.record(t + 0.1, kB);
  }
  log.finish(100);
  auto splits = log.splits();
  ASSERT_EQ(splits.size(), 1u);
  EXPECT_NEAR(splits[0].start_ms, 30.1, 1e-9);
  EXPECT_NEAR(splits[0].end_ms, 60.1, 1e-9);
  EXPECT_TRUE(log.gaps().empty());
}

TEST(AnswerLog, OneStrayReplyInsideAnotherRunIsASplit) {
  AnswerLog log(3.0);
  answer(log, kA, 0, 100);
  log.record(100, kB);  // same instant as A's last reply
  log.finish(100);
  ASSERT_EQ(log.splits().size(), 1u);
  EXPECT_DOUBLE_EQ(log.splits()[0].start_ms, 100);
  EXPECT_DOUBLE_EQ(log.splits()[0].end_ms, 100);
}

TEST(AnswerLog, TrailingSilenceIsAnOpenGap) {
  AnswerLog log(3.0);
  answer(log, kA, 0, 10);
  log.finish(500);
  ASSERT_EQ(log.gaps().size(), 1u);
  EXPECT_TRUE(log.gaps()[0].open);
  EXPECT_DOUBLE_EQ(log.longest_gap()->ms(), 490);
}

TEST(AnswerLog, NeverAnsweredHasNoGapAndNoFirstAnswer) {
  AnswerLog log(3.0);
  log.finish(1000);
  EXPECT_FALSE(log.first_answer_ms());
  EXPECT_FALSE(log.longest_gap());
  EXPECT_TRUE(log.gaps().empty());
}

TEST(AnswerLog, SameMacReturningAfterAGapStartsANewRun) {
  AnswerLog log(3.0);
  answer(log, kA, 0, 10);
  answer(log, kA, 50, 60);
  log.finish(60);
  EXPECT_EQ(log.runs().size(), 2u);
  EXPECT_EQ(log.gaps().size(), 1u);
  EXPECT_TRUE(log.splits().empty());
}

TEST(Mac, FormatsAndParses) {
  EXPECT_EQ(format_mac(kA), "02:00:00:00:00:01");
  EXPECT_EQ(parse_mac("02:00:00:00:00:01"), kA);
  EXPECT_FALSE(parse_mac("02:00:00:00:00"));
  EXPECT_FALSE(parse_mac("02:00:00:00:00:01:02"));
}
