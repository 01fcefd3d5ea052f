/* test_protocol.c: the protocol seam: durations, knobs, outbox, registry. */
#include <criterion/criterion.h>

#include "protocols/protocol.h"

Test (protocol, durations_parse_with_units)
{
  int64_t us = -1;
  cr_expect (proto_parse_duration_us ("150ms", &us) && us == 150000);
  cr_expect (proto_parse_duration_us ("2s", &us) && us == 2000000);
  cr_expect (proto_parse_duration_us ("1.5s", &us) && us == 1500000);
  cr_expect (proto_parse_duration_us ("500us", &us) && us == 500);
  cr_expect (proto_parse_duration_us ("1m", &us) && us == 60000000);
  cr_expect (proto_parse_duration_us ("0", &us) && us == 0);
  cr_expect (proto_parse_duration_us (" 3 ms", &us) && us == 3000);
}

Test (protocol, durations_reject_garbage)
{
  int64_t us = 0;
  cr_expect_not (proto_parse_duration_us ("150", &us), "a bare number needs a unit");
  cr_expect_not (proto_parse_duration_us ("-1s", &us));
  cr_expect_not (proto_parse_duration_us ("ms", &us));
  cr_expect_not (proto_parse_duration_us ("10 parsecs", &us));
  cr_expect_not (proto_parse_duration_us ("", &us));
  cr_expect_not (proto_parse_duration_us ("1e300s", &us));
  cr_expect_not (proto_parse_duration_us ("nans", &us));
}

Test (protocol, durations_format_round_trip)
{
  int64_t values[] = { 0, 1, 999, 1000, 150000, 2000000, 1500000 };
  for (size_t i = 0; i < G_N_ELEMENTS (values); i++) {
    g_autoptr (GString) s = g_string_new (NULL);
    proto_format_duration (values[i], s);
    int64_t back = -1;
    cr_assert (proto_parse_duration_us (s->str, &back), "%s", s->str);
    cr_expect_eq (back, values[i]);
  }
}

typedef struct {
  int64_t n;
  int64_t timeout;
  gboolean flag;
  int bug;
} TestConfig;

static const ProtoKnob test_knobs[] = {
  { "n", PROTO_KNOB_INT, offsetof (TestConfig, n), "3", 1, 9, NULL, "a number" },
  { "timeout", PROTO_KNOB_DURATION, offsetof (TestConfig, timeout), "150ms", 1000, 10000000,
    NULL, "a duration" },
  { "flag", PROTO_KNOB_BOOL, offsetof (TestConfig, flag), "true", 0, 0, NULL, "a bool" },
  { "bug", PROTO_KNOB_CHOICE, offsetof (TestConfig, bug), "none", 0, 0, "none|lost-write",
    "a choice" },
  { NULL },
};

static const ProtoVTable test_vt = {
  .name = "test",
  .knobs = test_knobs,
  .config_size = sizeof (TestConfig),
};

Test (protocol, knob_defaults_and_set)
{
  TestConfig c;
  proto_config_defaults (&test_vt, &c);
  cr_expect_eq (c.n, 3);
  cr_expect_eq (c.timeout, 150000);
  cr_expect (c.flag);
  cr_expect_eq (c.bug, 0);
  cr_assert (proto_config_set (&test_vt, &c, "n", " 7 ", NULL));
  cr_expect_eq (c.n, 7);
  cr_assert (proto_config_set (&test_vt, &c, "bug", "lost-write", NULL));
  cr_expect_eq (c.bug, 1);
  cr_assert (proto_config_set (&test_vt, &c, "flag", "false", NULL));
  cr_expect_not (c.flag);
}

static void
expect_knob_error (const char *key, const char *value, const char *fragment)
{
  TestConfig c;
  proto_config_defaults (&test_vt, &c);
  GError *error = NULL;
  cr_assert_not (proto_config_set (&test_vt, &c, key, value, &error), "%s=%s", key, value);
  cr_assert_not_null (error);
  cr_expect (strstr (error->message, fragment) != NULL, "'%s' lacks '%s'", error->message,
             fragment);
  g_error_free (error);
}

Test (protocol, knob_errors_say_what_was_expected)
{
  expect_knob_error ("nn", "1", "unknown key 'nn' for protocol test (expected one of: n, timeout");
  expect_knob_error ("n", "x", "expected an integer, got 'x'");
  expect_knob_error ("n", "10", "expected an integer from 1 to 9, got 10");
  expect_knob_error ("timeout", "150", "expected a duration with a unit");
  expect_knob_error ("timeout", "1h", "expected a duration from 1ms to 10s");
  expect_knob_error ("flag", "yes", "expected true or false, got 'yes'");
  expect_knob_error ("bug", "nope", "expected one of none, lost-write, got 'nope'");
}

Test (protocol, outbox_collects_and_resets)
{
  ProtoOutbox out;
  proto_outbox_init (&out);
  proto_outbox_send (&out, 2, "abc", 3);
  proto_outbox_send (&out, 0, "de", 2);
  proto_outbox_set_deadline (&out, 500);
  proto_outbox_note (&out, "term %d is stale", 4);
  proto_outbox_mark (&out, "stale-term");
  cr_assert_eq (out.msgs->len, 2);
  ProtoOutMsg *m = &g_array_index (out.msgs, ProtoOutMsg, 1);
  cr_expect_eq (m->to, 0);
  cr_expect_eq (memcmp (out.bytes->data + m->offset, "de", 2), 0);
  cr_expect_str_eq (out.notes->str, "term 4 is stale");
  proto_outbox_reset (&out);
  cr_expect_eq (out.msgs->len, 0);
  cr_expect_eq (out.marks->len, 0);
  cr_expect_eq (out.deadline_us, 500, "reset keeps the deadline");
  proto_outbox_clear (&out);
}

Test (protocol, registry_finds_null)
{
  const ProtoVTable *vt = proto_find ("null");
  cr_assert_not_null (vt);
  cr_expect_str_eq (vt->name, "null");
  cr_expect_null (proto_find ("no-such-protocol"));
  cr_expect_geq (vt->persist_offset + vt->persist_size, vt->persist_size);
  cr_expect_leq (vt->persist_offset + vt->persist_size, vt->state_size);
}
