/* test_paxos.c: Paxos's handlers and invariants, driven step by step through
 * the deterministic harness (tests/paxos_harness.h), the way test_raft.c
 * drives Raft's. */
#include <criterion/criterion.h>

#include "tests/paxos_harness.h"
#include "tests/support.h"

#include <string.h>

static void
expect_no_violation (const PaxosHarness *h)
{
  cr_expect_null (h->violation, "invariant broken: %s\ntrace:\n%s",
                  h->violation != NULL ? h->violation : "", h->trace->str);
}

/* Compares a harness trace with a golden file (DSIM_UPDATE_GOLDEN=1
 * rewrites it; then read the diff). */
static void
expect_golden (const PaxosHarness *h, const char *rel)
{
  g_autofree char *path = test_source_path (rel);
  if (g_getenv ("DSIM_UPDATE_GOLDEN") != NULL) {
    cr_assert (g_file_set_contents (path, h->trace->str, -1, NULL));
    return;
  }
  g_autofree char *golden = NULL;
  g_autoptr (GError) error = NULL;
  cr_assert (g_file_get_contents (path, &golden, NULL, &error), "%s", error->message);
  cr_expect_str_eq (h->trace->str, golden, "the trace differs from %s", rel);
}

static void
single_mode (PaxosConfig *cfg)
{
  cfg->mode = PAXOS_MODE_SINGLE;
}

/* One single-decree round: c1 writes 7 through n1, which runs phase 1 and
 * phase 2 and tells the other learners; then c2 reads through n3. */
static PaxosHarness *
single_round (void)
{
  PaxosHarness *h = ph_new (3, 2, single_mode);
  ph_start_all (h);
  ph_client_target (h, 0, 0);
  ph_invoke (h, 0, PROTO_OP_WRITE, 0, 7, 0);
  ph_deliver_all (h, 100);
  ph_client_target (h, 1, 2);
  ph_invoke (h, 1, PROTO_OP_READ, 0, 0, 0);
  ph_deliver_all (h, 100);
  return h;
}

Test (paxos, golden_single_decree_round)
{
  g_autoptr (PaxosHarness) h = single_round ();
  expect_no_violation (h);
  expect_golden (h, "tests/golden/paxos-single-round.txt");
  cr_assert (h->has_result[0] && h->has_result[1]);
  cr_expect_eq (h->result[0].kind, PROTO_RESULT_OK, "c1's value was chosen");
  cr_expect (h->result[1].kind == PROTO_RESULT_OK && h->result[1].has_value
             && h->result[1].value == 7, "c2 reads the decree");
  for (int i = 0; i < 3; i++) {
    const PaxosSlot *sl = &ph_node (h, i)->persist.log[1];
    cr_expect (sl->is_chosen && sl->cmd.value == 7, "n%d learned the decree", i + 1);
  }
}

Test (paxos, single_decree_second_write_fails_and_reads_return_the_decree)
{
  g_autoptr (PaxosHarness) h = single_round ();
  ph_client_target (h, 1, 1);
  ph_invoke (h, 1, PROTO_OP_WRITE, 0, 9, 0);
  ph_deliver_all (h, 100);
  cr_assert (h->has_result[1]);
  cr_expect_eq (h->result[1].kind, PROTO_RESULT_FAIL, "a second value is never chosen");
  cr_expect_eq (h->net->len, 0, "a learner answers without a ballot");
  expect_no_violation (h);
}

/* A read before anything is accepted runs phase 1 only and returns nil. */
Test (paxos, single_decree_read_before_any_write_is_nil)
{
  g_autoptr (PaxosHarness) h = ph_new (3, 1, single_mode);
  ph_start_all (h);
  ph_client_target (h, 0, 1);
  ph_invoke (h, 0, PROTO_OP_READ, 0, 0, 0);
  ph_deliver_all (h, 100);
  cr_assert (h->has_result[0]);
  cr_expect (h->result[0].kind == PROTO_RESULT_OK && !h->result[0].has_value);
  cr_expect (ph_reached (h, "read-before-choice"));
  cr_expect_null (strstr (h->trace->str, "Accept("), "no phase 2 for a read");
}

static void
single_ignore_bug (PaxosConfig *cfg)
{
  cfg->mode = PAXOS_MODE_SINGLE;
  cfg->bug = PAXOS_BUG_IGNORE_ACCEPTED_IN_PROMISE;
}

/* Runs: c1 -> n1 write 7; n1's prepare and promises go through, its
 * accept reaches n2 only (n3's copy is dropped), n1 is cut off before it
 * hears an answer; c2 -> n3 write 9.  Returns the harness. */
static PaxosHarness *
single_competing (void (*tweak) (PaxosConfig *cfg))
{
  PaxosHarness *h = ph_new (3, 2, tweak);
  ph_start_all (h);
  ph_client_target (h, 0, 0);
  ph_invoke (h, 0, PROTO_OP_WRITE, 0, 7, 0);
  ph_deliver (h, 0); /* the request reaches n1: prepares to n2, n3 */
  ph_deliver_all (h, 4); /* prepares in, promises back: accepts to n2, n3 */
  cr_assert_eq (h->net->len, 2, "two accept requests in flight\n%s", h->trace->str);
  ph_drop (h, 1);        /* the accept to n3 is lost */
  ph_deliver (h, 0);     /* n2 accepts 7 */
  ph_cut (h, 0, TRUE);   /* n1 hears nothing more */
  ph_client_target (h, 1, 2);
  ph_invoke (h, 1, PROTO_OP_WRITE, 0, 9, 0);
  ph_deliver_all (h, 100);
  return h;
}

Test (paxos, single_decree_adopts_the_accepted_value)
{
  g_autoptr (PaxosHarness) h = single_competing (single_mode);
  cr_expect (ph_reached (h, "accepted-value-adopted"), "%s", h->trace->str);
  cr_assert (h->has_result[1]);
  cr_expect_eq (h->result[1].kind, PROTO_RESULT_FAIL, "9 lost to 7, already accepted");
  cr_expect_eq (ph_node (h, 2)->persist.log[1].cmd.value, 7);
  expect_no_violation (h);
}

Test (paxos, ignore_accepted_bug_chooses_a_second_value)
{
  g_autoptr (PaxosHarness) h = single_competing (single_ignore_bug);
  /* 7 was chosen only if a majority accepted it: n1 and n2 did.  n3 with
   * the bug proposes 9 and gets it chosen by n2 and n3. */
  cr_assert_not_null (h->violation, "the bug broke nothing:\n%s", h->trace->str);
  cr_expect (g_str_has_prefix (h->violation, "agreement: two values chosen for slot 1"), "%s",
             h->violation);
}

/* ---- Multi-Paxos -------------------------------------------------------*/

/* Three nodes, n1 elected, c1 writes k0 := 7 through n2 (redirected to
 * n1); the next heartbeat tells the followers the slot is chosen. */
static PaxosHarness *
election_and_write (void)
{
  PaxosHarness *h = ph_new (3, 1, NULL);
  ph_start_all (h);
  cr_assert_eq (ph_elect (h, 0), 0);
  ph_client_target (h, 0, 1);
  ph_invoke (h, 0, PROTO_OP_WRITE, 0, 7, 0);
  ph_deliver_all (h, 100);
  ph_fire_timeout (h, 0);
  ph_deliver_all (h, 100);
  return h;
}

Test (paxos, golden_election_and_one_write)
{
  g_autoptr (PaxosHarness) h = election_and_write ();
  expect_no_violation (h);
  expect_golden (h, "tests/golden/paxos-multi-write.txt");
}

Test (paxos, write_is_chosen_applied_and_answered)
{
  g_autoptr (PaxosHarness) h = election_and_write ();
  cr_assert (h->has_result[0]);
  cr_expect_eq (h->result[0].kind, PROTO_RESULT_OK);
  for (int i = 0; i < 3; i++) {
    const PaxosNode *n = ph_node (h, i);
    cr_expect_eq (n->commit, 1, "n%d", i + 1);
    cr_expect_eq (n->last_applied, 1, "n%d", i + 1);
    cr_expect (n->machine.kv[0].has_value && n->machine.kv[0].value == 7, "n%d", i + 1);
    cr_expect_eq (n->persist.promised, paxos_ballot (1, 0), "n%d", i + 1);
  }
  cr_expect_eq (ph_node (h, 1)->leader, 0);
}

Test (paxos, same_schedule_same_trace)
{
  g_autoptr (PaxosHarness) a = election_and_write ();
  g_autoptr (PaxosHarness) b = election_and_write ();
  cr_expect_str_eq (a->trace->str, b->trace->str);
  cr_expect_eq (memcmp (ph_node (a, 1), ph_node (b, 1), sizeof (PaxosNode)), 0);
  ProtoCtx ctx = a->ctx[1];
  cr_expect_eq (paxos_digest (ph_node (a, 1), &ctx), paxos_digest (ph_node (b, 1), &ctx));
}

Test (paxos, lower_prepare_is_rejected_with_the_higher_ballot)
{
  g_autoptr (PaxosHarness) h = election_and_write ();
  /* n2 has promised ballot 2.2; n1's prepare of 1.1 comes (again). */
  PaxosPrepare m = { .type = PAXOS_MSG_PREPARE, .ballot = paxos_ballot (1, 0), .from_slot = 1 };
  PaxosNode *n2 = ph_node_mut (h, 1);
  n2->persist.promised = paxos_ballot (2, 1);
  proto_outbox_reset (&h->out);
  paxos_acceptor_on_prepare (n2, &h->ctx[1], 0, &m, h->now_us, &h->out);
  cr_assert_eq (h->out.msgs->len, 1);
  PaxosPromise r;
  memcpy (&r, h->out.bytes->data, sizeof r);
  cr_expect_eq (r.type, PAXOS_MSG_PROMISE);
  cr_expect_not (r.is_ok);
  cr_expect_eq (r.promised, paxos_ballot (2, 1));
  gboolean is_marked = FALSE;
  for (guint i = 0; i < h->out.marks->len; i++)
    is_marked |= strcmp (g_ptr_array_index (h->out.marks, i), "promise-rejected") == 0;
  cr_expect (is_marked);
}

Test (paxos, stale_leader_steps_down_on_a_rejected_heartbeat)
{
  g_autoptr (PaxosHarness) h = election_and_write ();
  ph_cut (h, 0, TRUE);
  h->now_us += 1000000;
  cr_assert_eq (ph_elect (h, 1), 1);
  cr_expect_gt (ph_node (h, 1)->ballot, ph_node (h, 0)->ballot);
  ph_cut (h, 0, FALSE);
  ph_fire_timeout (h, 0); /* old leader's heartbeat */
  ph_deliver_all (h, 100);
  cr_expect (ph_reached (h, "stale-ballot"));
  cr_expect (ph_reached (h, "ballot-preempted"));
  cr_expect_eq (ph_node (h, 0)->role, PAXOS_FOLLOWER);
  expect_no_violation (h);
}

/* n1 leads and proposes two writes: slot 2's accepts are all lost, slot 3's
 * reaches n2 only.  n1 crashes.  n2 wins phase 1: slot 3 is re-proposed
 * with the accepted value, slot 2 is filled with a no-op. */
Test (paxos, new_leader_adopts_accepted_values_and_fills_gaps)
{
  g_autoptr (PaxosHarness) h = election_and_write ();
  ph_client_target (h, 0, 0);
  ph_invoke (h, 0, PROTO_OP_WRITE, 0, 8, 0);
  ph_deliver (h, 0);
  ph_drop_all (h); /* slot 2 lost everywhere */
  ph_invoke (h, 0, PROTO_OP_WRITE, 1, 9, 0);
  ph_deliver (h, 0);
  cr_assert_eq (h->net->len, 2);
  ph_drop (h, 1);   /* slot 3 to n3: lost */
  ph_deliver (h, 0); /* slot 3 accepted by n2 */
  ph_crash (h, 0);
  ph_drop_all (h);
  h->now_us += 1000000;
  cr_assert_eq (ph_elect (h, 1), 1);
  ph_deliver_all (h, 100);
  cr_expect (ph_reached (h, "accepted-value-adopted"));
  cr_expect (ph_reached (h, "gap-filled-noop"));
  const PaxosNode *n2 = ph_node (h, 1);
  cr_expect_eq (n2->commit, 3);
  cr_expect_eq (n2->persist.log[2].cmd.kind, PAXOS_CMD_NOOP);
  cr_expect_eq (n2->persist.log[3].cmd.value, 9);
  cr_expect (n2->machine.kv[1].has_value && n2->machine.kv[1].value == 9);
  cr_expect (n2->machine.kv[0].value == 7, "slot 2's write never happened");
  expect_no_violation (h);
  /* n1 comes back and catches up. */
  ph_restart (h, 0);
  ph_fire_timeout (h, 1);
  ph_deliver_all (h, 100);
  cr_expect (ph_reached (h, "catch-up"));
  cr_expect_eq (ph_node (h, 0)->commit, 3);
  cr_expect_eq (ph_node (h, 0)->applied_chain, n2->applied_chain);
  expect_no_violation (h);
}

Test (paxos, retried_request_is_answered_from_the_session)
{
  g_autoptr (PaxosHarness) h = election_and_write ();
  /* The same request again (a retry with the same sequence number). */
  h->next_seq[0]--;
  ph_client_target (h, 0, 0);
  ph_invoke (h, 0, PROTO_OP_WRITE, 0, 7, 0);
  ph_deliver_all (h, 100);
  cr_expect (ph_reached (h, "duplicate-request-suppressed"));
  cr_assert (h->has_result[0]);
  cr_expect_eq (h->result[0].kind, PROTO_RESULT_OK);
  cr_expect_eq (ph_node (h, 0)->commit, 1, "not proposed again");
}

static void
small_snapshots (PaxosConfig *cfg)
{
  cfg->snapshot_threshold = 4;
}

/* n3 is cut off while ten writes are chosen and compacted away; when it is
 * back, it asks for the slots, gets the snapshot and then the rest. */
Test (paxos, lagging_replica_installs_a_snapshot)
{
  g_autoptr (PaxosHarness) h = ph_new (3, 1, small_snapshots);
  ph_start_all (h);
  cr_assert_eq (ph_elect (h, 0), 0);
  ph_cut (h, 2, TRUE);
  ph_client_target (h, 0, 0);
  for (int k = 0; k < 10; k++) {
    ph_invoke (h, 0, PROTO_OP_WRITE, k % 3, 100 + k, 0);
    ph_deliver_all (h, 100);
  }
  cr_assert_geq (ph_node (h, 0)->persist.snap.index, 8);
  ph_cut (h, 2, FALSE);
  ph_fire_timeout (h, 0);
  ph_deliver_all (h, 100);
  cr_expect (ph_reached (h, "catch-up"));
  cr_expect (ph_reached (h, "snapshot-installed"));
  const PaxosNode *n3 = ph_node (h, 2);
  cr_expect_eq (n3->last_applied, ph_node (h, 0)->last_applied);
  cr_expect_eq (memcmp (&n3->machine.kv, &ph_node (h, 0)->machine.kv, sizeof n3->machine.kv), 0);
  expect_no_violation (h);
}

/* ---- Seeded bugs and invariants ----------------------------------------*/

static void
accept_bug (PaxosConfig *cfg)
{
  cfg->bug = PAXOS_BUG_ACCEPT_WITHOUT_PROMISE_CHECK;
}

static void
volatile_promise_bug (PaxosConfig *cfg)
{
  cfg->bug = PAXOS_BUG_VOLATILE_PROMISE;
}

/* n1 leads ballot 1.1; n2 promises 2.3 to a new candidate (n3); n1's
 * accept of 1.1 then reaches n2, after a crash and restart of n2 if
 * is_restarted. */
static PaxosHarness *
stale_accept (void (*tweak) (PaxosConfig *cfg), gboolean is_restarted)
{
  PaxosHarness *h = ph_new (3, 1, tweak);
  ph_start_all (h);
  cr_assert_eq (ph_elect (h, 0), 0);
  ph_client_target (h, 0, 0);
  ph_invoke (h, 0, PROTO_OP_WRITE, 0, 7, 0);
  ph_deliver (h, 0);
  cr_assert_eq (h->net->len, 2, "accepts to n2 and n3");
  /* n2 hears a higher prepare first. */
  PaxosNode *n2 = ph_node_mut (h, 1);
  PaxosPrepare m = { .type = PAXOS_MSG_PREPARE, .ballot = paxos_ballot (2, 2), .from_slot = 1 };
  proto_outbox_reset (&h->out);
  paxos_acceptor_on_prepare (n2, &h->ctx[1], 2, &m, h->now_us, &h->out);
  cr_assert (h->out.sync, "the promise is synced before it leaves");
  paxos_persist_seal (&n2->persist); /* as the step function does after a sync */
  cr_assert_eq (n2->persist.promised, paxos_ballot (2, 2));
  if (is_restarted) {
    ph_crash (h, 1);
    ph_restart (h, 1);
  }
  ph_deliver (h, 0); /* n1's accept of 1.1 reaches n2 */
  return h;
}

Test (paxos, accept_below_the_promise_is_rejected)
{
  g_autoptr (PaxosHarness) h = stale_accept (NULL, TRUE);
  cr_expect (ph_reached (h, "stale-ballot"));
  cr_expect_eq (ph_node (h, 1)->persist.log[1].ballot, 0, "nothing accepted");
  expect_no_violation (h);
}

Test (paxos, accept_without_promise_check_breaks_promises_respected)
{
  g_autoptr (PaxosHarness) h = stale_accept (accept_bug, FALSE);
  cr_assert_not_null (h->violation);
  cr_expect_str_eq (h->violation, "promises-respected: n2 accepted ballot 1.1 for slot 1 after "
                                  "promising ballot 2.3");
}

Test (paxos, volatile_promise_is_forgotten_on_restart)
{
  g_autoptr (PaxosHarness) h = stale_accept (volatile_promise_bug, TRUE);
  cr_expect (strstr (h->trace->str, "forgot its promise of ballot 2.3 (bug)") != NULL);
  cr_assert_not_null (h->violation);
  cr_expect (g_str_has_prefix (h->violation, "promises-respected: n2 accepted ballot 1.1"), "%s",
             h->violation);
}

/* The check itself, on states built by hand: two nodes apply different
 * commands at the same slot. */
Test (paxos, check_names_the_slot_and_the_nodes)
{
  g_autoptr (PaxosHarness) h = election_and_write ();
  /* n3 applies something else at slot 2, which no majority accepted. */
  PaxosNode *n3 = ph_node_mut (h, 2);
  PaxosCmd bogus = { .kind = PAXOS_CMD_WRITE, .value = 99, .seq = 5, .client = 0 };
  paxos_ev_push (n3, PAXOS_EV_APPLY, 2, 0, paxos_cmd_hash (&bogus), 1);
  g_autoptr (GString) why = g_string_new (NULL);
  const void *states[3] = { ph_node (h, 0), ph_node (h, 1), ph_node (h, 2) };
  cr_expect_not (proto_paxos.check (h->ghost, states, h->is_up, h->ctx, 3, why));
  cr_expect_str_eq (why->str, "learned-only-chosen: n3 applied slot 2, where no majority has "
                              "accepted any value");
}

/* ---- Leases -------------------------------------------------------------*/

static void
lease_mode (PaxosConfig *cfg)
{
  cfg->reads = PAXOS_READS_LEASE;
}

static void
lease_bug (PaxosConfig *cfg)
{
  cfg->reads = PAXOS_READS_LEASE;
  cfg->bug = PAXOS_BUG_LEASE_READ_WITHOUT_WAIT;
}

/* A leader elected with leases waits `lease` before phase 2; a read in that
 * wait is not answered (the correct node), or answered at once (the bug). */
static PaxosHarness *
read_during_the_wait (void (*tweak) (PaxosConfig *cfg))
{
  PaxosHarness *h = ph_new (3, 1, tweak);
  ph_start_all (h);
  cr_assert_eq (ph_elect (h, 0), 0);
  cr_assert_not (ph_node (h, 0)->is_phase2_started, "waiting out the old lease");
  ph_client_target (h, 0, 0);
  ph_invoke (h, 0, PROTO_OP_READ, 0, 0, 0);
  ph_deliver_all (h, 100);
  return h;
}

Test (paxos, new_leader_serves_no_lease_read_before_the_old_lease_ends)
{
  g_autoptr (PaxosHarness) h = read_during_the_wait (lease_mode);
  cr_expect_not (h->has_result[0]);
  /* After the wait (two heartbeats): phase 2, then lease reads without a
   * slot. */
  for (int k = 0; k < 2; k++) {
    cr_expect_not (ph_node (h, 0)->is_phase2_started);
    ph_fire_timeout (h, 0);
    ph_deliver_all (h, 100);
  }
  cr_assert (ph_node (h, 0)->is_phase2_started);
  cr_expect_not (h->has_result[0], "the read that came during the wait is dropped");
  ph_fire_timeout (h, 0);
  ph_deliver_all (h, 100);
  ph_invoke (h, 0, PROTO_OP_READ, 0, 0, 0);
  ph_deliver (h, 0);
  cr_expect (ph_reached (h, "lease-read"));
  cr_expect_eq (h->net->len, 1, "only the reply");
  ph_deliver (h, 0);
  cr_expect (h->has_result[0]);
  expect_no_violation (h);
}

Test (paxos, lease_read_without_wait_bug_answers_during_the_wait)
{
  g_autoptr (PaxosHarness) h = read_during_the_wait (lease_bug);
  cr_expect (h->has_result[0], "the bug answers before the old lease ran out");
  cr_expect (strstr (h->trace->str, "lease read before the old lease ran out (bug)") != NULL);
}

/* ---- check() on event rings built by hand ------------------------------*/

typedef struct {
  PaxosNode *nodes;
  PaxosGhost *ghost;
  ProtoCtx ctx[3];
  gboolean is_up[3];
  GString *why;
} CheckBed;

static CheckBed *
bed_new (void)
{
  CheckBed *b = g_new0 (CheckBed, 1);
  b->nodes = g_new0 (PaxosNode, 3);
  b->ghost = g_new0 (PaxosGhost, 1);
  for (int i = 0; i < 3; i++) {
    b->ctx[i].self = i;
    b->ctx[i].n_nodes = 3;
    b->ctx[i].seed = 100 + (uint64_t) i;
    b->is_up[i] = TRUE;
  }
  b->why = g_string_new (NULL);
  return b;
}

static void
bed_free (CheckBed *b)
{
  g_free (b->nodes);
  paxos_ghost_free (b->ghost);
  g_free (b->ghost);
  g_string_free (b->why, TRUE);
  g_free (b);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CheckBed, bed_free)

static gboolean
bed_check (CheckBed *b)
{
  const void *states[3] = { &b->nodes[0], &b->nodes[1], &b->nodes[2] };
  g_string_truncate (b->why, 0);
  return paxos_check (b->ghost, states, b->is_up, b->ctx, 3, b->why);
}

/* Node i accepts value v for slot s in ballot b (promised p before). */
static void
bed_accept (CheckBed *b, int i, uint64_t slot, uint64_t ballot, int64_t v)
{
  PaxosCmd c = { .kind = PAXOS_CMD_WRITE, .value = v, .seq = 1 };
  paxos_ev_push (&b->nodes[i], PAXOS_EV_ACCEPT, slot, ballot, paxos_cmd_hash (&c), 0);
}

Test (paxos_check, two_values_chosen_in_one_slot_break_agreement)
{
  g_autoptr (CheckBed) b = bed_new ();
  bed_accept (b, 0, 4, paxos_ballot (1, 0), 10);
  bed_accept (b, 1, 4, paxos_ballot (1, 0), 10);
  cr_assert (bed_check (b), "%s", b->why->str); /* 10 chosen by n1 n2 */
  bed_accept (b, 2, 4, paxos_ballot (2, 2), 20); /* n3 proposes 20 in its ballot */
  cr_assert (bed_check (b), "%s", b->why->str);
  bed_accept (b, 1, 4, paxos_ballot (2, 2), 20);
  cr_expect_not (bed_check (b));
  cr_expect_str_eq (b->why->str, "agreement: two values chosen for slot 4: one in ballot 1.1 "
                                 "(accepted by n1 n2), another in ballot 2.3 (accepted by n2 n3)");
}

Test (paxos_check, accepting_what_no_proposer_proposed_breaks_validity)
{
  g_autoptr (CheckBed) b = bed_new ();
  bed_accept (b, 1, 2, paxos_ballot (1, 0), 10); /* n1 never accepted its own */
  cr_expect_not (bed_check (b));
  cr_expect_str_eq (b->why->str, "validity: n2 accepted a value for slot 2 in ballot 1.1 that "
                                 "its proposer n1 never proposed");
}

Test (paxos_check, two_values_in_one_ballot_break_validity)
{
  g_autoptr (CheckBed) b = bed_new ();
  bed_accept (b, 0, 2, paxos_ballot (1, 0), 10);
  bed_accept (b, 1, 2, paxos_ballot (1, 0), 11);
  cr_expect_not (bed_check (b));
  cr_expect (g_str_has_prefix (b->why->str, "validity: slot 2, ballot 1.1: n2 accepted a value "
                               "other than"), "%s", b->why->str);
}

/* An accept below the promise that binds it (held, or read back from disk
 * at boot: the node logs the higher of the two with the accept). */
Test (paxos_check, accepting_below_the_binding_promise_breaks_promises_respected)
{
  g_autoptr (CheckBed) b = bed_new ();
  bed_accept (b, 0, 1, paxos_ballot (2, 0), 10);
  cr_assert (bed_check (b), "%s", b->why->str);
  PaxosCmd c = { .kind = PAXOS_CMD_WRITE, .value = 10, .seq = 1 };
  paxos_ev_push (&b->nodes[2], PAXOS_EV_ACCEPT, 1, paxos_ballot (2, 0), paxos_cmd_hash (&c),
                 paxos_ballot (3, 1));
  cr_expect_not (bed_check (b));
  cr_expect_str_eq (b->why->str, "promises-respected: n3 accepted ballot 2.1 for slot 1 after "
                                 "promising ballot 3.2");
}

Test (paxos_check, different_applied_sequences_break_same_sequence)
{
  g_autoptr (CheckBed) b = bed_new ();
  PaxosCmd c = { .kind = PAXOS_CMD_WRITE, .value = 10, .seq = 1 };
  bed_accept (b, 0, 1, paxos_ballot (1, 0), 10);
  bed_accept (b, 1, 1, paxos_ballot (1, 0), 10);
  cr_assert (bed_check (b), "%s", b->why->str); /* chosen */
  uint64_t h = paxos_cmd_hash (&c);
  paxos_ev_push (&b->nodes[0], PAXOS_EV_APPLY, 1, 0, h, paxos_chain_next (0, &c));
  cr_assert (bed_check (b), "%s", b->why->str);
  /* n2 applies the same command at slot 1, but after a different history. */
  paxos_ev_push (&b->nodes[1], PAXOS_EV_APPLY, 1, 0, h, paxos_chain_next (77, &c));
  cr_expect_not (bed_check (b));
  cr_expect_str_eq (b->why->str, "same-sequence: n1 and n2 applied different commands up to "
                                 "slot 1");
}

/* Disks for the check bed: each node's image starts empty; an acceptance
 * becomes durable when the test writes it there, as a completed sync does. */
static void
bed_give_disks (CheckBed *b, PaxosPersist *disks)
{
  for (int i = 0; i < 3; i++)
    b->ctx[i].disk = &disks[i];
}

static guint
pending_len (const CheckBed *b)
{
  return b->ghost->pending != NULL ? b->ghost->pending->len : 0;
}

static void
disk_write_accept (PaxosPersist *disk, uint64_t slot, uint64_t ballot)
{
  disk->log[slot % PAXOS_LOG_CAP].ballot = ballot;
  if (slot > disk->last_slot)
    disk->last_slot = slot;
}

/* n2 accepts 10 in ballot 1.1 (n1 has it on disk) and crashes; when it
 * comes back, n3 and n2 accept 20 in ballot 2.3.  Whether 10 was chosen
 * depends only on whether n2's disk held its acceptance at the crash. */
static gboolean
bed_crash_between_ballots (CheckBed *b, PaxosPersist *disks, gboolean is_durable)
{
  bed_give_disks (b, disks);
  bed_accept (b, 0, 4, paxos_ballot (1, 0), 10);
  disk_write_accept (&disks[0], 4, paxos_ballot (1, 0));
  bed_accept (b, 1, 4, paxos_ballot (1, 0), 10);
  cr_assert (bed_check (b), "%s", b->why->str);
  cr_assert_eq (pending_len (b), 1, "n2's acceptance waits for its disk");
  if (is_durable)
    disk_write_accept (&disks[1], 4, paxos_ballot (1, 0));
  b->is_up[1] = FALSE; /* n2 crashes */
  memset (&b->nodes[1], 0, sizeof b->nodes[1]);
  cr_assert (bed_check (b), "%s", b->why->str);
  cr_assert_eq (pending_len (b), 0, "the crash settles it");
  b->is_up[1] = TRUE; /* and restarts */
  b->ctx[1].seed = 200;
  cr_assert (bed_check (b), "%s", b->why->str);
  bed_accept (b, 2, 4, paxos_ballot (2, 2), 20);
  disk_write_accept (&disks[2], 4, paxos_ballot (2, 2));
  cr_assert (bed_check (b), "%s", b->why->str);
  bed_accept (b, 1, 4, paxos_ballot (2, 2), 20);
  disk_write_accept (&disks[1], 4, paxos_ballot (2, 2));
  return bed_check (b);
}

/* Section 2.2: a value is chosen when a majority "have accepted" it.  An
 * acceptor that crashed before its sync completed wakes up without the
 * acceptance and never sent its Accepted: it never had accepted. */
Test (paxos_check, an_acceptance_lost_in_a_crash_is_not_counted)
{
  g_autoptr (CheckBed) b = bed_new ();
  g_autofree PaxosPersist *disks = g_new0 (PaxosPersist, 3);
  cr_expect (bed_crash_between_ballots (b, disks, FALSE), "%s", b->why->str);
  PaxosGhostSlot *gs = g_hash_table_lookup (b->ghost->slots, &(uint64_t) { 4 });
  cr_expect_eq (gs->chosen_ballot, paxos_ballot (2, 2));
  cr_expect_eq (gs->chosen_voters, 0x6u); /* n2 n3 */
}

Test (paxos_check, a_durable_acceptance_counts_after_a_crash)
{
  g_autoptr (CheckBed) b = bed_new ();
  g_autofree PaxosPersist *disks = g_new0 (PaxosPersist, 3);
  cr_expect_not (bed_crash_between_ballots (b, disks, TRUE));
  cr_expect_str_eq (b->why->str, "agreement: two values chosen for slot 4: one in ballot 1.1 "
                                 "(accepted by n1 n2), another in ballot 2.3 (accepted by n2 n3)");
}

/* An acceptance counts from the check after its sync completes: a learner
 * that applies the value before that learned what was not chosen. */
Test (paxos_check, an_acceptance_counts_once_on_disk)
{
  g_autoptr (CheckBed) b = bed_new ();
  g_autofree PaxosPersist *disks = g_new0 (PaxosPersist, 3);
  bed_give_disks (b, disks);
  PaxosCmd c = { .kind = PAXOS_CMD_WRITE, .value = 10, .seq = 1 };
  bed_accept (b, 0, 1, paxos_ballot (1, 0), 10);
  bed_accept (b, 1, 1, paxos_ballot (1, 0), 10);
  disk_write_accept (&disks[0], 1, paxos_ballot (1, 0));
  cr_assert (bed_check (b), "%s", b->why->str);
  PaxosGhostSlot *gs = g_hash_table_lookup (b->ghost->slots, &(uint64_t) { 1 });
  cr_assert_eq (gs->chosen_hash, 0, "one durable acceptance of three chooses nothing");
  disk_write_accept (&disks[1], 1, paxos_ballot (1, 0)); /* n2's sync completes */
  paxos_ev_push (&b->nodes[0], PAXOS_EV_APPLY, 1, 0, paxos_cmd_hash (&c),
                 paxos_chain_next (0, &c));
  cr_expect (bed_check (b), "%s", b->why->str);

  g_autoptr (CheckBed) early = bed_new ();
  g_autofree PaxosPersist *disks2 = g_new0 (PaxosPersist, 3);
  bed_give_disks (early, disks2);
  bed_accept (early, 0, 1, paxos_ballot (1, 0), 10);
  bed_accept (early, 1, 1, paxos_ballot (1, 0), 10);
  disk_write_accept (&disks2[0], 1, paxos_ballot (1, 0));
  paxos_ev_push (&early->nodes[0], PAXOS_EV_APPLY, 1, 0, paxos_cmd_hash (&c),
                 paxos_chain_next (0, &c));
  cr_expect_not (bed_check (early));
  cr_expect_str_eq (early->why->str, "learned-only-chosen: n1 applied slot 1, where no majority "
                                     "has accepted any value");
}

/* Slots 1 to 3000 chosen by n1 and n2 in ballot 1.1; the ghost still
 * holds slot 1 when n3 and n2 later choose another value there in a
 * higher ballot (slot 1 is 2,999 slots back). */
static void
bed_choose_many (CheckBed *b)
{
  for (uint64_t s = 1; s <= 3000; s++) {
    bed_accept (b, 0, s, paxos_ballot (1, 0), 10);
    bed_accept (b, 1, s, paxos_ballot (1, 0), 10);
    cr_assert (bed_check (b), "slot %" G_GUINT64_FORMAT ": %s", s, b->why->str);
  }
  cr_assert_eq (g_hash_table_size (b->ghost->slots), 3000);
}

static void
bed_choose_other_at_slot_1 (CheckBed *b)
{
  bed_accept (b, 2, 1, paxos_ballot (2, 2), 20);
  cr_assert (bed_check (b), "%s", b->why->str);
  bed_accept (b, 1, 1, paxos_ballot (2, 2), 20);
}

Test (paxos_check, agreement_remembers_every_slot)
{
  g_autoptr (CheckBed) b = bed_new ();
  bed_choose_many (b);
  bed_choose_other_at_slot_1 (b);
  cr_expect_not (bed_check (b));
  cr_expect_str_eq (b->why->str, "agreement: two values chosen for slot 1: one in ballot 1.1 "
                                 "(accepted by n1 n2), another in ballot 2.3 (accepted by n2 n3)");
}

/* A copy of the ghost (what a world clone makes) owns its slots: it still
 * catches the old slot after the original is freed, and what it learns
 * does not reach the original. */
Test (paxos_check, ghost_copy_owns_its_slots)
{
  g_autoptr (CheckBed) b = bed_new ();
  bed_choose_many (b);
  PaxosGhost *copy = g_memdup2 (b->ghost, sizeof *copy);
  paxos_ghost_copy (copy, b->ghost);
  cr_expect_eq (paxos_ghost_digest (copy), paxos_ghost_digest (b->ghost));
  cr_assert_neq (copy->slots, b->ghost->slots);
  cr_assert_eq (g_hash_table_size (copy->slots), 3000);
  /* The original learns slot 3001; the copy does not. */
  bed_accept (b, 0, 3001, paxos_ballot (1, 0), 10);
  bed_accept (b, 1, 3001, paxos_ballot (1, 0), 10);
  cr_assert (bed_check (b), "%s", b->why->str);
  cr_expect_eq (g_hash_table_size (b->ghost->slots), 3001);
  cr_expect_eq (g_hash_table_size (copy->slots), 3000);
  cr_expect_neq (paxos_ghost_digest (copy), paxos_ghost_digest (b->ghost));
  paxos_ghost_free (b->ghost);
  memcpy (b->ghost, copy, sizeof *copy);
  g_free (copy);
  /* The copy reads slot 3001 again, then slot 1's new ballot. */
  bed_choose_other_at_slot_1 (b);
  cr_expect_not (bed_check (b));
  cr_expect (g_str_has_prefix (b->why->str, "agreement: two values chosen for slot 1"), "%s",
             b->why->str);
}

/* The digest follows what the ghost holds, not the order it learned it. */
Test (paxos_check, ghost_digest_ignores_the_order_slots_were_learned)
{
  g_autoptr (CheckBed) a = bed_new ();
  g_autoptr (CheckBed) b = bed_new ();
  for (uint64_t s = 1; s <= 40; s++) {
    bed_accept (a, 0, s, paxos_ballot (1, 0), 10);
    bed_accept (b, 0, 41 - s, paxos_ballot (1, 0), 10);
  }
  cr_assert (bed_check (a) && bed_check (b));
  cr_expect_eq (paxos_ghost_digest (a->ghost), paxos_ghost_digest (b->ghost));
  bed_accept (a, 1, 7, paxos_ballot (1, 0), 10);
  bed_accept (b, 1, 8, paxos_ballot (1, 0), 10);
  cr_assert (bed_check (a) && bed_check (b));
  cr_expect_neq (paxos_ghost_digest (a->ghost), paxos_ghost_digest (b->ghost));
}

static void
multi_ignore_bug (PaxosConfig *cfg)
{
  cfg->bug = PAXOS_BUG_IGNORE_ACCEPTED_IN_PROMISE;
}

/* n1 gets slot 1 (k1 := 9) chosen by itself and n2 (n3's copy is lost),
 * answers the client, and crashes.  n3, which never saw slot 1, wins
 * phase 1 with n2's promise reporting it. */
static PaxosHarness *
chosen_slot_then_new_leader (void (*tweak) (PaxosConfig *cfg))
{
  PaxosHarness *h = ph_new (3, 1, tweak);
  ph_start_all (h);
  cr_assert_eq (ph_elect (h, 0), 0);
  ph_client_target (h, 0, 0);
  ph_invoke (h, 0, PROTO_OP_WRITE, 1, 9, 0);
  ph_deliver (h, 0);
  cr_assert_eq (h->net->len, 2);
  ph_drop (h, 1);    /* the accept to n3 is lost */
  ph_deliver_all (h, 100);
  cr_assert (h->has_result[0] && h->result[0].kind == PROTO_RESULT_OK);
  ph_crash (h, 0);
  h->now_us += 1000000;
  cr_assert_eq (ph_elect (h, 2), 2);
  ph_deliver_all (h, 100);
  return h;
}

Test (paxos, new_leader_keeps_a_chosen_value_it_never_saw)
{
  g_autoptr (PaxosHarness) h = chosen_slot_then_new_leader (NULL);
  expect_no_violation (h);
  cr_expect (ph_reached (h, "accepted-value-adopted"));
  cr_expect (ph_node (h, 2)->machine.kv[1].has_value && ph_node (h, 2)->machine.kv[1].value == 9);
}

Test (paxos, ignore_accepted_bug_in_multi_mode_overwrites_a_chosen_slot)
{
  g_autoptr (PaxosHarness) h = chosen_slot_then_new_leader (multi_ignore_bug);
  cr_assert_not_null (h->violation, "%s", h->trace->str);
  cr_expect (g_str_has_prefix (h->violation, "agreement: two values chosen for slot 1"), "%s",
             h->violation);
}

/* The index of the first message in flight from `from` to `to` whose type
 * byte is `type`; fails the test if there is none. */
static guint
msg_find (const PaxosHarness *h, int from, int to, uint8_t type)
{
  for (guint i = 0; i < h->net->len; i++) {
    const PhMsg *m = g_ptr_array_index (h->net, i);
    gsize len;
    const uint8_t *b = g_bytes_get_data (m->bytes, &len);
    if (m->from == from && m->to == to && len > 0 && b[0] == type)
      return i;
  }
  cr_assert_fail ("no message of type %u from %d to %d in flight\n%s", type, from, to,
                  h->trace->str);
  return 0;
}

/* A read that reaches a proposer whose phase 1 is already under way must
 * not be answered nil by it: a promise that is still on the wire may come
 * from an acceptor that has since accepted a value that was chosen.  Here
 * c1's read starts n1's ballot 1.1; n2 promises it, but the promise is
 * slow; meanwhile n3 gets c2's write 5 chosen with n2; then c3 reads at n1;
 * then n2's old promise arrives.  c1's read may return nil (it began
 * before the write), c3's must return 5. */
Test (paxos, single_decree_read_does_not_join_an_older_phase_1)
{
  g_autoptr (PaxosHarness) h = ph_new (3, 3, single_mode);
  ph_start_all (h);
  ph_client_target (h, 0, 0);
  ph_invoke (h, 0, PROTO_OP_READ, 0, 0, 0);
  ph_deliver (h, msg_find (h, 3, 0, PAXOS_MSG_CLIENT_REQUEST));
  ph_deliver (h, msg_find (h, 0, 1, PAXOS_MSG_PREPARE)); /* n2 promises 1.1 ... */
  ph_drop (h, msg_find (h, 0, 2, PAXOS_MSG_PREPARE));
  msg_find (h, 1, 0, PAXOS_MSG_PROMISE);                 /* ... slowly */
  ph_client_target (h, 1, 2);
  ph_invoke (h, 1, PROTO_OP_WRITE, 0, 5, 0);
  ph_deliver (h, msg_find (h, 4, 2, PAXOS_MSG_CLIENT_REQUEST));
  ph_drop (h, msg_find (h, 2, 0, PAXOS_MSG_PREPARE));
  ph_deliver (h, msg_find (h, 2, 1, PAXOS_MSG_PREPARE));
  ph_deliver (h, msg_find (h, 1, 2, PAXOS_MSG_PROMISE));
  ph_drop (h, msg_find (h, 2, 0, PAXOS_MSG_ACCEPT));
  ph_deliver (h, msg_find (h, 2, 1, PAXOS_MSG_ACCEPT));
  ph_deliver (h, msg_find (h, 1, 2, PAXOS_MSG_ACCEPTED)); /* 5 is chosen */
  ph_drop (h, msg_find (h, 2, 0, PAXOS_MSG_CHOSEN));
  ph_deliver (h, msg_find (h, 2, 4, PAXOS_MSG_CLIENT_REPLY));
  cr_assert (h->has_result[1] && h->result[1].kind == PROTO_RESULT_OK, "the write completed");
  ph_client_target (h, 2, 0);
  ph_invoke (h, 2, PROTO_OP_READ, 0, 0, 0);
  ph_deliver (h, msg_find (h, 5, 0, PAXOS_MSG_CLIENT_REQUEST));
  ph_deliver (h, msg_find (h, 1, 0, PAXOS_MSG_PROMISE)); /* n2's promise of 1.1 */
  ph_deliver_all (h, 100);
  cr_assert (h->has_result[0] && h->has_result[2]);
  cr_expect (h->result[0].kind == PROTO_RESULT_OK && !h->result[0].has_value,
             "c1's read began before the write: nil is linearizable");
  cr_expect (h->result[2].kind == PROTO_RESULT_OK && h->result[2].has_value
             && h->result[2].value == 5, "c3's read began after the write completed:\n%s",
             h->trace->str);
  expect_no_violation (h);
}

/* A node whose disk gives back a slot that fails its checksum stops: it
 * answers nothing, and the other two go on. */
Test (paxos, damaged_disk_image_stops_the_node)
{
  g_autoptr (PaxosHarness) h = election_and_write ();
  ph_crash (h, 2);
  PaxosNode *n3 = ph_node_mut (h, 2);
  n3->persist.log[1].cmd.value ^= 4; /* a flipped bit in the accepted write */
  ph_restart (h, 2);
  cr_expect (ph_reached (h, "storage-corrupt-halt"));
  cr_expect (strstr (h->trace->str, "disk image damaged: a slot (ring position 1) fails its "
                     "checksum; stops") != NULL, "%s", h->trace->str);
  cr_expect (n3->is_halted);
  cr_expect_eq (h->deadline_us[2], PROTO_NO_DEADLINE);
  gsize since = h->trace->len;
  ph_invoke (h, 0, PROTO_OP_WRITE, 0, 8, 0);
  ph_deliver_all (h, 100);
  cr_assert (h->has_result[0]);
  cr_expect_eq (h->result[0].kind, PROTO_RESULT_OK, "n1 and n2 are a majority");
  cr_expect_null (strstr (h->trace->str + since, "n3 send"), "the stopped node sends nothing");
  cr_expect_not_null (strstr (h->trace->str + since, "n3 recv"), "it was asked");
  expect_no_violation (h);
}

/* An image that was never written, or written whole, checks out. */
Test (paxos, intact_images_check_out)
{
  g_autoptr (PaxosHarness) h = election_and_write ();
  g_autoptr (GString) why = g_string_new (NULL);
  static PaxosPersist zero;
  cr_expect (paxos_persist_is_intact (&zero, why), "%s", why->str);
  for (int i = 0; i < 3; i++) {
    PaxosNode *n = ph_node_mut (h, i);
    paxos_persist_seal (&n->persist);
    cr_expect (paxos_persist_is_intact (&n->persist, why), "n%d: %s", i + 1, why->str);
  }
}
