// schemas/ticketd-rule-tests.schema.json names exactly the keys the rule test
// file checker accepts (tests/rule_schema.py compares the rule-file schema
// with the loader's source; the test-file key lists are public here). A key
// the checker learns without the schema would be flagged by editors; one the
// schema offers that the checker refuses would be completed, then rejected.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "ticketd/rules/test_file.hpp"

namespace ticketd::rules {
namespace {

using nlohmann::json;

json test_file_schema() {
  std::ifstream in(std::string(TICKETD_SOURCE_DIR) + "/schemas/ticketd-rule-tests.schema.json");
  json schema = json::parse(in, nullptr, false);
  EXPECT_TRUE(schema.is_object()) << "schemas/ticketd-rule-tests.schema.json does not parse";
  return schema;
}

std::set<std::string> properties(const json& object) {
  std::set<std::string> names;
  if (object.contains("properties"))
    for (const auto& [name, value] : object["properties"].items()) names.insert(name);
  return names;
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

TEST(RuleTestSchema, EveryLevelNamesExactlyTheKeysTheCheckerAccepts) {
  const json schema = test_file_schema();
  ASSERT_TRUE(schema.is_object());
  const json& defs = schema["definitions"];
  EXPECT_EQ(properties(schema), as_set(test_file_keys())) << "top level";
  EXPECT_EQ(properties(defs["test"]), as_set(test_case_keys())) << "a test";
  EXPECT_EQ(properties(defs["event"]), as_set(test_event_keys())) << "a test event";
  EXPECT_EQ(properties(defs["expectation"]), as_set(test_expect_keys())) << "an expectation";
}

TEST(RuleTestSchema, UnknownKeysAreRefusedAtEveryLevelAsTheCheckerDoes) {
  const json schema = test_file_schema();
  ASSERT_TRUE(schema.is_object());
  const json& defs = schema["definitions"];
  for (const json* level : {&schema, &defs["test"], &defs["event"], &defs["expectation"]})
    EXPECT_EQ((*level)["additionalProperties"], false) << level->dump().substr(0, 120);
  // The free-form maps: labels in events and expectations.
  EXPECT_TRUE(defs["event"]["properties"].contains("labels"));
  EXPECT_TRUE(defs["expectation"]["properties"].contains("labels"));
}

}  // namespace
}  // namespace ticketd::rules
