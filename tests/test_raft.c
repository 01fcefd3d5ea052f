/* test_raft.c: Raft's handlers and invariants, driven step by step through
 * the deterministic harness (tests/raft_harness.h). */
#include <criterion/criterion.h>

#include "tests/raft_harness.h"
#include "tests/support.h"

#include <string.h>

static void
expect_no_violation (const RaftHarness *h)
{
  cr_expect_null (h->violation, "invariant broken: %s\ntrace:\n%s",
                  h->violation != NULL ? h->violation : "", h->trace->str);
}

/* Three nodes, n1 elected, one client writes k0 := 7, the leader's next
 * heartbeat carries the commit index to the followers. */
static RaftHarness *
election_and_write (void)
{
  RaftHarness *h = rh_new (3, 1, NULL);
  rh_start_all (h);
  cr_assert_eq (rh_elect (h, 0), 0);
  rh_client_target (h, 0, 1); /* n2 redirects it to n1 */
  rh_invoke (h, 0, PROTO_OP_WRITE, 0, 7, 0);
  rh_deliver_all (h, 100);
  rh_fire_timeout (h, 0);
  rh_deliver_all (h, 100);
  return h;
}

Test (raft, golden_election_and_one_write)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  expect_no_violation (h);
  g_autofree char *path = test_source_path ("tests/golden/raft-election-write.txt");
  g_autofree char *golden = NULL;
  g_autoptr (GError) error = NULL;
  cr_assert (g_file_get_contents (path, &golden, NULL, &error), "%s", error->message);
  cr_expect_str_eq (h->trace->str, golden);
}

Test (raft, write_is_replicated_committed_and_answered)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  cr_assert (h->has_result[0]);
  cr_expect_eq (h->result[0].kind, PROTO_RESULT_OK);
  for (int i = 0; i < 3; i++) {
    const RaftNode *n = rh_node (h, i);
    cr_expect_eq (n->persist.last_index, 2, "n%d: no-op and write", i + 1);
    cr_expect_eq (n->commit_index, 2, "n%d", i + 1);
    cr_expect_eq (n->last_applied, 2, "n%d", i + 1);
    cr_expect (n->machine.kv[0].has_value && n->machine.kv[0].value == 7, "n%d", i + 1);
    cr_expect_eq (n->persist.current_term, 1);
  }
  cr_expect_eq (rh_node (h, 1)->leader, 0);
}

Test (raft, same_schedule_same_trace)
{
  g_autoptr (RaftHarness) a = election_and_write ();
  g_autoptr (RaftHarness) b = election_and_write ();
  cr_expect_str_eq (a->trace->str, b->trace->str);
  cr_expect_eq (memcmp (rh_node (a, 1), rh_node (b, 1), sizeof (RaftNode)), 0);
  ProtoCtx ctx = a->ctx[1];
  cr_expect_eq (raft_digest (rh_node (a, 1), &ctx), raft_digest (rh_node (b, 1), &ctx));
}

Test (raft, read_index_waits_for_a_heartbeat_round)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  rh_invoke (h, 0, PROTO_OP_READ, 0, 0, 0);
  rh_deliver (h, 0); /* the request reaches the leader */
  cr_expect_not (h->has_result[0], "no answer before a majority confirms leadership");
  cr_expect_eq (rh_node (h, 0)->n_reads, 1);
  rh_deliver_all (h, 100);
  cr_assert (h->has_result[0]);
  cr_expect (h->result[0].has_value && h->result[0].value == 7);
  expect_no_violation (h);
}

Test (raft, isolated_leader_serves_no_read)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  rh_cut (h, 1, TRUE);
  rh_cut (h, 2, TRUE);
  rh_invoke (h, 0, PROTO_OP_READ, 0, 0, 0);
  rh_deliver_all (h, 100);
  for (int k = 0; k < 5; k++) {
    rh_fire_timeout (h, 0);
    rh_deliver_all (h, 100);
  }
  cr_expect_not (h->has_result[0], "a leader cut off from the majority must not answer");
}

static void
stale_read_bug (RaftConfig *cfg)
{
  cfg->bug = RAFT_BUG_STALE_LEADER_READ;
}

Test (raft, stale_leader_read_bug_answers_at_once)
{
  g_autoptr (RaftHarness) h = rh_new (3, 1, stale_read_bug);
  rh_start_all (h);
  cr_assert_eq (rh_elect (h, 0), 0);
  rh_cut (h, 1, TRUE);
  rh_cut (h, 2, TRUE);
  rh_client_target (h, 0, 0);
  rh_invoke (h, 0, PROTO_OP_READ, 0, 0, 0);
  rh_deliver_all (h, 100);
  cr_expect (h->has_result[0], "the bug answers without confirming leadership");
}

static void
lease_mode (RaftConfig *cfg)
{
  cfg->read_mode = RAFT_READ_LEASE;
}

Test (raft, lease_read_needs_no_round_while_the_lease_holds)
{
  g_autoptr (RaftHarness) h = rh_new (3, 1, lease_mode);
  rh_start_all (h);
  h->now_us = 1000000; /* past the boot wait of thesis 6.4.1 */
  cr_assert_eq (rh_elect (h, 0), 0);
  const RaftNode *leader = rh_node (h, 0);
  cr_assert_gt (leader->lease_until_us, h->now_us);
  rh_client_target (h, 0, 0);
  rh_invoke (h, 0, PROTO_OP_READ, 0, 0, 0);
  rh_deliver (h, 0);
  cr_assert_eq (h->net->len, 1, "only the reply, no heartbeat round");
  rh_deliver (h, 0);
  cr_expect (h->has_result[0]);
  /* After the lease runs out, the read needs a round again. */
  h->now_us = leader->lease_until_us;
  rh_invoke (h, 0, PROTO_OP_READ, 0, 0, 0);
  rh_deliver (h, 0);
  cr_expect_eq (h->net->len, 2, "a heartbeat round to n2 and n3");
  cr_expect_eq (leader->n_reads, 1);
  rh_deliver_all (h, 100);
  cr_expect (h->has_result[0]);
}

Test (raft, pre_vote_rejected_while_leader_is_alive)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  /* n3 misses the heartbeats and times out; n2 still hears the leader. */
  rh_cut (h, 2, TRUE);
  rh_fire_timeout (h, 0);
  rh_deliver_all (h, 100);
  rh_cut (h, 2, FALSE);
  h->now_us = rh_node (h, 1)->leader_contact_us + 1000;
  rh_fire_timeout (h, 2);
  cr_expect_eq (rh_node (h, 2)->role, RAFT_PRECANDIDATE);
  rh_deliver_all (h, 100);
  cr_expect (rh_reached (h, "pre-vote-rejected"));
  cr_expect_eq (rh_node (h, 2)->persist.current_term, 1, "a pre-vote changes no term");
  cr_expect_eq (rh_node (h, 0)->role, RAFT_LEADER, "the leader is not disrupted");
  expect_no_violation (h);
}

Test (raft, stale_term_leader_steps_down)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  rh_cut (h, 0, TRUE);
  h->now_us += 1000000;
  cr_assert_eq (rh_elect (h, 1), 1);
  cr_expect_eq (rh_node (h, 1)->persist.current_term, 2);
  rh_cut (h, 0, FALSE);
  rh_fire_timeout (h, 0); /* old leader's heartbeat, term 1 */
  rh_deliver_all (h, 100);
  cr_expect (rh_reached (h, "stale-term"));
  cr_expect_eq (rh_node (h, 0)->role, RAFT_FOLLOWER);
  cr_expect_eq (rh_node (h, 0)->persist.current_term, 2);
  expect_no_violation (h);
}

Test (raft, conflicting_suffix_is_backtracked_and_replaced)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  /* n1 (term 1) takes three writes nobody else sees. */
  rh_cut (h, 1, TRUE);
  rh_cut (h, 2, TRUE);
  rh_client_target (h, 0, 0);
  for (int k = 0; k < 3; k++) {
    rh_invoke (h, 0, PROTO_OP_WRITE, 1, 100 + k, 0);
    rh_deliver_all (h, 100);
  }
  cr_assert_eq (rh_node (h, 0)->persist.last_index, 5);
  /* n2 becomes leader of term 2 without them, and writes twice. */
  rh_cut (h, 0, TRUE);
  rh_cut (h, 1, FALSE);
  rh_cut (h, 2, FALSE);
  h->now_us += 1000000;
  cr_assert_eq (rh_elect (h, 1), 1);
  rh_client_target (h, 0, 1);
  rh_invoke (h, 0, PROTO_OP_WRITE, 2, 1, 0);
  rh_deliver_all (h, 100);
  rh_invoke (h, 0, PROTO_OP_WRITE, 2, 2, 0);
  rh_deliver_all (h, 100);
  cr_assert (h->has_result[0]);
  /* n1 comes back: its entries 3..5 of term 1 conflict with n2's log. */
  rh_cut (h, 0, FALSE);
  rh_fire_timeout (h, 1);
  rh_deliver_all (h, 100);
  rh_fire_timeout (h, 1);
  rh_deliver_all (h, 100);
  cr_expect (rh_reached (h, "log-conflict-backtrack"));
  const RaftNode *a = rh_node (h, 0), *b = rh_node (h, 1);
  cr_expect_eq (a->persist.last_index, b->persist.last_index);
  cr_expect_eq (raft_log_chain (a, a->persist.last_index),
                raft_log_chain (b, b->persist.last_index), "logs agree after repair");
  cr_expect_eq (a->machine.kv[2].value, 2);
  cr_expect_not (a->machine.kv[1].has_value, "the unreplicated writes are gone");
  expect_no_violation (h);
}

static void
small_snapshots (RaftConfig *cfg)
{
  cfg->snapshot_threshold = 4;
}

Test (raft, lagging_follower_gets_a_snapshot)
{
  g_autoptr (RaftHarness) h = rh_new (3, 1, small_snapshots);
  rh_start_all (h);
  cr_assert_eq (rh_elect (h, 0), 0);
  rh_deliver_all (h, 100);
  rh_cut (h, 2, TRUE);
  rh_client_target (h, 0, 0);
  for (int k = 0; k < 10; k++) {
    rh_invoke (h, 0, PROTO_OP_WRITE, k % 3, k, 0);
    rh_deliver_all (h, 100);
    cr_assert (h->has_result[0], "write %d", k);
  }
  cr_assert_gt (rh_node (h, 0)->persist.snap.index, 4);
  rh_cut (h, 2, FALSE);
  rh_fire_timeout (h, 0);
  rh_deliver_all (h, 100);
  rh_fire_timeout (h, 0);
  rh_deliver_all (h, 100);
  cr_expect (rh_reached (h, "snapshot-installed"));
  const RaftNode *f = rh_node (h, 2);
  cr_expect_eq (f->last_applied, rh_node (h, 0)->last_applied);
  cr_expect_eq (f->machine.kv[0].value, 9);
  cr_expect_eq (f->machine.kv[2].value, 8);
  expect_no_violation (h);
}

Test (raft, retried_write_is_applied_once)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  /* The reply is lost; the client retries the same (client, seq). */
  rh_invoke (h, 0, PROTO_OP_CAS, 0, 8, 7);
  rh_deliver (h, 0);
  rh_cut (h, 3, TRUE); /* the reply will be lost */
  rh_deliver_all (h, 100);
  rh_cut (h, 3, FALSE);
  cr_expect_not (h->has_result[0]);
  cr_expect_eq (rh_node (h, 0)->machine.kv[0].value, 8);
  rh_client_target (h, 0, 2); /* n3 redirects the retry to n1 */
  rh_client_retry (h, 0);
  rh_deliver_all (h, 100);
  cr_assert (h->has_result[0]);
  cr_expect_eq (h->result[0].kind, PROTO_RESULT_OK, "the cached cas result, not a second cas");
  cr_expect (rh_reached (h, "duplicate-request-suppressed"));
  expect_no_violation (h);
}

static void
vote_bug (RaftConfig *cfg)
{
  cfg->bug = RAFT_BUG_VOTE_WITHOUT_LOG_CHECK;
}

/* n3 misses the write; after n1 dies, n3 asks for votes.  Correct Raft:
 * n2 refuses (its log is more up-to-date).  With the bug n2 grants, n3 leads
 * without the committed write, and Leader Completeness breaks. */
static RaftHarness *
stale_candidate (void (*tweak) (RaftConfig *))
{
  RaftHarness *h = rh_new (3, 1, tweak);
  rh_start_all (h);
  cr_assert_eq (rh_elect (h, 0), 0);
  rh_deliver_all (h, 100);
  rh_cut (h, 2, TRUE);
  rh_client_target (h, 0, 0);
  rh_invoke (h, 0, PROTO_OP_WRITE, 0, 5, 0);
  rh_deliver_all (h, 100);
  cr_assert (h->has_result[0]);
  rh_cut (h, 2, FALSE);
  rh_crash (h, 0);
  h->now_us += 1000000;
  rh_fire_timeout (h, 2);
  rh_deliver_all (h, 100);
  return h;
}

Test (raft, candidate_with_stale_log_loses)
{
  g_autoptr (RaftHarness) h = stale_candidate (NULL);
  cr_expect_neq (rh_node (h, 2)->role, RAFT_LEADER);
  expect_no_violation (h);
}

Test (raft, vote_without_log_check_breaks_leader_completeness)
{
  g_autoptr (RaftHarness) h = stale_candidate (vote_bug);
  cr_assert_eq (rh_node (h, 2)->role, RAFT_LEADER);
  cr_assert_not_null (h->violation);
  cr_expect (strstr (h->violation, "leader-completeness: n3") != NULL, "%s", h->violation);
}

static void
volatile_vote_bug (RaftConfig *cfg)
{
  cfg->bug = RAFT_BUG_VOLATILE_VOTE;
  cfg->pre_vote = FALSE;
}

static void
no_pre_vote (RaftConfig *cfg)
{
  cfg->pre_vote = FALSE;
}

/* n1 and n2 both stand in term 1; n3 votes for n1, crashes and restarts,
 * then hears n2's request. */
static RaftHarness *
vote_twice (void (*tweak) (RaftConfig *))
{
  RaftHarness *h = rh_new (3, 0, tweak);
  rh_start_all (h);
  h->now_us = 1000000;
  rh_fire_timeout (h, 0);
  rh_fire_timeout (h, 1);
  /* In flight: n1->n2, n1->n3, n2->n1, n2->n3.  n3 hears n1 first. */
  rh_drop (h, 0);
  rh_drop (h, 1);
  rh_deliver (h, 0); /* n1 -> n3 */
  rh_crash (h, 2);
  rh_restart (h, 2);
  rh_deliver_all (h, 100); /* n2 -> n3, then the votes */
  return h;
}

Test (raft, vote_survives_a_restart)
{
  g_autoptr (RaftHarness) h = vote_twice (no_pre_vote);
  cr_expect (!(rh_node (h, 0)->role == RAFT_LEADER && rh_node (h, 1)->role == RAFT_LEADER));
  expect_no_violation (h);
}

Test (raft, volatile_vote_breaks_election_safety)
{
  g_autoptr (RaftHarness) h = vote_twice (volatile_vote_bug);
  cr_assert_not_null (h->violation, "%s", h->trace->str);
  cr_expect (strstr (h->violation, "election-safety: n1 and n2") != NULL, "%s", h->violation);
}

static void
commit_bug (RaftConfig *cfg)
{
  cfg->bug = RAFT_BUG_COMMIT_PREVIOUS_TERM;
  cfg->pre_vote = FALSE;
}

/* Figure 8 of the paper: an entry of an older term reaches a majority and
 * (with the bug) is counted as committed, then overwritten by a leader that
 * never had it. */
Test (raft, figure_8_commit_previous_term)
{
  g_autoptr (RaftHarness) h = rh_new (5, 1, commit_bug);
  rh_start_all (h);
  h->now_us = 1000000;
  /* (a) n1 leads term 1 and replicates entry 1 to n2 only. */
  for (int i = 2; i < 5; i++)
    rh_cut (h, i, TRUE);
  rh_fire_timeout (h, 0);
  for (int i = 2; i < 5; i++)
    rh_cut (h, i, FALSE);
  rh_deliver_all (h, 100);
  /* The votes from n3..n5 were cut; n2's alone is not enough.  Let all
   * vote; then cut n3..n5 before the write. */
  cr_assert_eq (rh_elect (h, 0), 0);
  for (int i = 2; i < 6; i++)
    rh_cut (h, i, TRUE);
  rh_cut (h, 5, FALSE);
  rh_client_target (h, 0, 0);
  rh_invoke (h, 0, PROTO_OP_WRITE, 0, 1, 0);
  rh_deliver_all (h, 100);
  cr_assert_eq (rh_node (h, 1)->persist.last_index, 1);
  /* (b) n1 crashes; n5 leads a later term with votes of n3, n4, and
   * appends its own entry at index 1, which nobody else gets. */
  rh_crash (h, 0);
  for (int i = 2; i < 6; i++)
    rh_cut (h, i, FALSE);
  rh_cut (h, 1, TRUE);
  h->now_us += 1000000;
  cr_assert_eq (rh_elect (h, 4), 4);
  rh_cut (h, 2, TRUE);
  rh_cut (h, 3, TRUE);
  rh_client_target (h, 0, 4);
  rh_invoke (h, 0, PROTO_OP_WRITE, 0, 2, 0);
  rh_deliver_all (h, 100);
  cr_assert_eq (rh_node (h, 4)->persist.last_index, 1);
  uint64_t n5_term = rh_node (h, 4)->persist.current_term;
  /* (c) n5 crashes; n1 restarts, leads a later term, sends its old entry 1
   * to n3: entry 1 (term 1) is now on n1, n2, n3, a majority. */
  rh_crash (h, 4);
  rh_restart (h, 0);
  rh_cut (h, 1, FALSE);
  rh_cut (h, 2, FALSE);
  rh_cut (h, 3, TRUE);
  h->now_us += 1000000;
  rh_fire_timeout (h, 0);
  rh_deliver_all (h, 100);
  if (rh_node (h, 0)->role != RAFT_LEADER) {
    h->now_us += 1000000;
    rh_fire_timeout (h, 0);
    rh_deliver_all (h, 100);
  }
  cr_assert_eq (rh_node (h, 0)->role, RAFT_LEADER);
  cr_assert_gt (rh_node (h, 0)->persist.current_term, n5_term);
  cr_expect_eq (rh_node (h, 0)->commit_index, 1, "the bug counts the old entry committed");
  /* (d) n1 crashes; n5 restarts and wins with n4's vote and n2's or n3's
   * (its last term is higher than theirs), then overwrites entry 1. */
  rh_crash (h, 0);
  rh_cut (h, 3, FALSE);
  rh_restart (h, 4);
  h->now_us += 1000000;
  rh_elect (h, 4);
  rh_deliver_all (h, 100);
  rh_fire_timeout (h, 4);
  rh_deliver_all (h, 100);
  cr_assert_not_null (h->violation, "%s", h->trace->str);
  cr_expect (strstr (h->violation, "leader-completeness") != NULL
             || strstr (h->violation, "state-machine-safety") != NULL, "%s", h->violation);
}

Test (raft, check_names_the_broken_invariant)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  RaftNode *n2 = rh_node_mut (h, 1);
  n2->role = RAFT_LEADER; /* as if it had won term 1 too */
  rh_fire_timeout (h, 2);
  cr_assert_not_null (h->violation);
  cr_expect (strstr (h->violation, "election-safety: n1 and n2 were both elected leader of term 1")
             != NULL, "%s", h->violation);
}

/* Each invariant, broken by hand in one node's state, is caught and named
 * with the nodes involved. */
Test (raft, check_catches_a_leader_that_deletes_entries)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  rh_node_mut (h, 0)->persist.last_index = 1;
  rh_fire_timeout (h, 0);
  cr_assert_not_null (h->violation);
  cr_expect (strstr (h->violation, "leader-append-only: n1, leader of term 1, deleted entries 2..2")
             != NULL, "%s", h->violation);
}

Test (raft, check_catches_logs_that_disagree)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  rh_node_mut (h, 1)->persist.log[2].chain ^= 1u << 7; /* entry 2 differs on n2 */
  rh_fire_timeout (h, 2);
  cr_assert_not_null (h->violation);
  cr_expect (strstr (h->violation, "log-matching: n1 and n2 both have entry 2 of term 1") != NULL,
             "%s", h->violation);
}

Test (raft, check_catches_different_applied_entries)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  rh_node_mut (h, 2)->applied_chain ^= 1u << 7;
  rh_fire_timeout (h, 2);
  cr_assert_not_null (h->violation);
  cr_expect (strstr (h->violation, "state-machine-safety: n1 and n3 applied different entries "
                     "at index 2") != NULL, "%s", h->violation);
}

static void
log_reads (RaftConfig *cfg)
{
  cfg->read_mode = RAFT_READ_LOG;
}

Test (raft, log_reads_go_through_the_log)
{
  g_autoptr (RaftHarness) h = rh_new (3, 1, log_reads);
  rh_start_all (h);
  cr_assert_eq (rh_elect (h, 0), 0);
  rh_client_target (h, 0, 0);
  rh_invoke (h, 0, PROTO_OP_WRITE, 3, 11, 0);
  rh_deliver_all (h, 100);
  uint64_t before = rh_node (h, 0)->persist.last_index;
  rh_invoke (h, 0, PROTO_OP_READ, 3, 0, 0);
  rh_deliver_all (h, 100);
  cr_assert (h->has_result[0]);
  cr_expect (h->result[0].has_value && h->result[0].value == 11);
  cr_expect_eq (rh_node (h, 0)->persist.last_index, before + 1, "the read is a log entry");
  expect_no_violation (h);
}

Test (raft, client_follows_redirects_and_rotates_on_retry)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  /* c1 knows n1 from its last answer; n1 is gone, n2 then leads. */
  rh_crash (h, 0);
  h->now_us += 1000000;
  cr_assert_eq (rh_elect (h, 1), 1);
  rh_invoke (h, 0, PROTO_OP_WRITE, 0, 9, 0);
  rh_deliver_all (h, 100); /* the request to the crashed n1 is lost */
  cr_expect_not (h->has_result[0]);
  rh_client_retry (h, 0); /* the world's retry timer: try the next node */
  rh_deliver_all (h, 100);
  cr_assert (h->has_result[0]);
  cr_expect_eq (rh_client (h, 0)->target, 1, "the client now knows n2 leads");
}

Test (raft, format_msg_reads_like_the_paper)
{
  RaftAppendEntries m = {
    .type = RAFT_MSG_APPEND_ENTRIES, .n_entries = 1, .term = 2, .prev_log_index = 4,
    .prev_log_term = 1, .leader_commit = 3,
  };
  uint8_t buf[sizeof m + sizeof (RaftWireEntry)] = { 0 };
  memcpy (buf, &m, sizeof m);
  g_autoptr (GString) s = g_string_new (NULL);
  raft_format_msg (buf, sizeof buf, s);
  cr_expect_str_eq (s->str, "AppendEntries(t=2, prev=4/1, 1 entry, commit=3)");
  g_string_truncate (s, 0);
  raft_format_msg ("\x7f", 1, s);
  cr_expect_str_eq (s->str, "?(type 127, 1 bytes)");
}

Test (raft, malformed_messages_are_ignored)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  RaftNode before = *rh_node (h, 1);
  uint8_t junk[7] = { RAFT_MSG_APPEND_ENTRIES, 1, 2, 3, 4, 5, 6 };
  ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .from = 0, .msg = junk, .msg_len = sizeof junk };
  ProtoOutbox out;
  proto_outbox_init (&out);
  proto_raft.step (rh_node_mut (h, 1), &h->ctx[1], &ev, &out);
  cr_expect_eq (out.msgs->len, 0);
  cr_expect_eq (memcmp (&before, rh_node (h, 1), sizeof before), 0);
  proto_outbox_clear (&out);
}

/* Garbage in every message type, from nodes and clients, to a leader and a
 * follower: nothing crashes (the ASan build runs this too) and the
 * invariants hold. */
Test (raft, garbled_messages_do_not_crash)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  Pcg32 rng;
  pcg32_seed (&rng, 3, 3);
  uint8_t buf[sizeof (RaftAppendEntries) + 4 * sizeof (RaftWireEntry)];
  ProtoOutbox out;
  proto_outbox_init (&out);
  for (int k = 0; k < 20000; k++) {
    for (size_t i = 0; i < sizeof buf; i++)
      buf[i] = (uint8_t) pcg32_next (&rng);
    buf[0] = (uint8_t) (1 + pcg32_below (&rng, RAFT_MSG_CLIENT_REPLY));
    size_t len = pcg32_below (&rng, sizeof buf + 1);
    if (buf[0] == RAFT_MSG_APPEND_ENTRIES && pcg32_chance (&rng, 0.5)) {
      /* Plausible: a near index, a near term, entries that apply. */
      RaftAppendEntries m;
      memcpy (&m, buf, sizeof m);
      m.n_entries = (uint16_t) pcg32_below (&rng, 5);
      m.term = pcg32_below (&rng, 4);
      m.prev_log_index = pcg32_below (&rng, 5);
      m.prev_log_term = pcg32_below (&rng, 3);
      m.leader_commit = pcg32_below (&rng, 8);
      memcpy (buf, &m, sizeof m);
      for (uint16_t e = 0; e < m.n_entries; e++) {
        RaftWireEntry w = {
          .term = pcg32_below (&rng, 4), .kind = (uint8_t) pcg32_below (&rng, 4),
          .key = (uint8_t) pcg32_below (&rng, RAFT_MAX_KEYS), .seq = pcg32_next (&rng),
          .client = (uint8_t) pcg32_below (&rng, RAFT_MAX_CLIENTS),
        };
        memcpy (buf + sizeof m + e * sizeof w, &w, sizeof w);
      }
      len = sizeof m + m.n_entries * sizeof (RaftWireEntry);
    }
    int node = (int) pcg32_below (&rng, 2);
    ProtoEvent ev = {
      .kind = PROTO_EV_RECEIVE, .now_us = h->now_us, .from = (int) pcg32_below (&rng, 4),
      .msg = buf, .msg_len = len,
    };
    proto_outbox_reset (&out);
    proto_raft.step (rh_node_mut (h, node), &h->ctx[node], &ev, &out);
  }
  proto_outbox_clear (&out);
  rh_fire_timeout (h, 2);
  cr_expect (rh_node (h, 0)->last_applied <= rh_node (h, 0)->persist.last_index);
}

/* Random schedules: deliver, drop, duplicate, time out, crash and restart,
 * chosen by a seeded Pcg32; the invariants must hold throughout. */
static void
random_schedule (uint64_t seed, void (*tweak) (RaftConfig *), GString *trace_out,
                 char **violation)
{
  g_autoptr (RaftHarness) h = rh_new (5, 2, tweak);
  Pcg32 rng;
  pcg32_seed (&rng, seed, 7);
  rh_start_all (h);
  for (int step = 0; step < 3000 && h->violation == NULL; step++) {
    uint32_t r = pcg32_below (&rng, 100);
    int node = (int) pcg32_below (&rng, 5);
    if (r < 60 && h->net->len > 0) {
      guint i = pcg32_below (&rng, MIN (h->net->len, 4u));
      rh_deliver (h, i);
    } else if (r < 65 && h->net->len > 0) {
      rh_drop (h, pcg32_below (&rng, h->net->len));
    } else if (r < 68 && h->net->len > 0) {
      RhMsg *m = g_ptr_array_index (h->net, pcg32_below (&rng, h->net->len));
      RhMsg *d = g_new0 (RhMsg, 1);
      *d = *m;
      g_bytes_ref (d->bytes);
      g_ptr_array_add (h->net, d);
    } else if (r < 80) {
      if (h->is_up[node])
        rh_fire_timeout (h, node);
    } else if (r < 82) {
      if (h->is_up[node])
        rh_crash (h, node);
      else
        rh_restart (h, node);
    } else if (r < 90) {
      int c = (int) pcg32_below (&rng, 2);
      if (rh_client (h, c)->is_open)
        rh_client_retry (h, c);
      else
        rh_invoke (h, c, (ProtoOpKind) pcg32_below (&rng, 3), (int) pcg32_below (&rng, 2),
                   (int64_t) pcg32_below (&rng, 5), (int64_t) pcg32_below (&rng, 5));
    } else {
      h->now_us += 10000;
      for (int i = 0; i < 5; i++)
        if (!h->is_up[i] && pcg32_chance (&rng, 0.3))
          rh_restart (h, i);
    }
  }
  if (trace_out != NULL)
    g_string_assign (trace_out, h->trace->str);
  *violation = g_strdup (h->violation);
}

Test (raft, random_schedules_keep_the_invariants)
{
  for (uint64_t seed = 1; seed <= 30; seed++) {
    g_autofree char *violation = NULL;
    random_schedule (seed, small_snapshots, NULL, &violation);
    cr_assert_null (violation, "seed %" G_GUINT64_FORMAT ": %s", seed, violation);
  }
}

Test (raft, random_schedule_is_deterministic)
{
  g_autoptr (GString) a = g_string_new (NULL);
  g_autoptr (GString) b = g_string_new (NULL);
  g_autofree char *va = NULL, *vb = NULL;
  random_schedule (99, NULL, a, &va);
  random_schedule (99, NULL, b, &vb);
  cr_expect_gt (a->len, 1000);
  cr_expect_str_eq (a->str, b->str);
}

/* ---- Storage, stale answers, CheckQuorum ---------------------------------*/

static void
reply_before_sync (RaftConfig *cfg)
{
  cfg->bug = RAFT_BUG_REPLY_BEFORE_SYNC;
  cfg->pre_vote = FALSE;
}

/* The index of the first message in flight of `type` from `from` to `to`
 * (-1 for any sender), or -1. */
static int
find_msg (const RaftHarness *h, int from, int to, RaftMsgType type)
{
  for (guint i = 0; i < h->net->len; i++) {
    const RhMsg *m = g_ptr_array_index (h->net, i);
    gsize len;
    const uint8_t *b = g_bytes_get_data (m->bytes, &len);
    if ((from < 0 || m->from == from) && m->to == to && len > 0 && b[0] == type)
      return (int) i;
  }
  return -1;
}

/* Figure 2: currentTerm, votedFor and log[] are "updated on stable storage
 * before responding to RPCs".  A step that grants a vote or appends
 * entries asks for a sync (its reply then waits for it); with the seeded
 * bug it does not. */
Test (raft, vote_and_append_replies_wait_for_a_sync)
{
  for (int bug = 0; bug < 2; bug++) {
    g_autoptr (RaftHarness) h = rh_new (3, 1, bug ? reply_before_sync : no_pre_vote);
    rh_cfg (h)->pre_vote = FALSE;
    rh_start_all (h);
    rh_fire_timeout (h, 0);
    int i = find_msg (h, 0, 1, RAFT_MSG_REQUEST_VOTE);
    cr_assert_geq (i, 0);
    rh_deliver (h, (guint) i);
    cr_expect_eq (rh_node (h, 1)->persist.voted_for, 0);
    cr_expect_eq (h->out.sync, !bug, "the vote's step %s a sync", bug ? "skips" : "asks for");
    rh_deliver_all (h, 100);
    cr_assert_eq (rh_leader (h), 0);
    rh_invoke (h, 0, PROTO_OP_WRITE, 0, 7, 0);
    rh_deliver_all (h, 2); /* the request reaches n1 (a redirect or the leader) */
    rh_client_target (h, 0, 0);
    rh_client_retry (h, 0);
    while ((i = find_msg (h, 0, 1, RAFT_MSG_APPEND_ENTRIES)) < 0 && h->net->len > 0)
      rh_deliver (h, 0);
    cr_assert_geq (i, 0);
    uint64_t last = rh_node (h, 1)->persist.last_index;
    rh_deliver (h, (guint) i);
    cr_expect_gt (rh_node (h, 1)->persist.last_index, last, "n2 appended");
    cr_expect_eq (h->out.sync, !bug);
    /* A heartbeat that changes nothing durable needs no sync. */
    rh_deliver_all (h, 100);
    rh_fire_timeout (h, 0);
    i = find_msg (h, 0, 2, RAFT_MSG_APPEND_ENTRIES);
    cr_assert_geq (i, 0);
    rh_deliver (h, (guint) i);
    cr_expect_not (h->out.sync);
  }
}

/* The stale-term answer: n1 leads term 1 and sends heartbeat round 3 to n2,
 * which is held up.  n1 crashes, restarts and wins term 2 (round 1).  The
 * old AppendEntries then reaches n2, which rejects it (stale term) and says
 * so in term 2, echoing round 3.  That answer is about term 1's request:
 * the leader must not count it as n2 acknowledging term 2's round 3, never
 * sent (with n1 itself, a majority: a read would be confirmed by nothing). */
Test (raft, stale_term_answer_is_no_acknowledgement)
{
  g_autoptr (RaftHarness) h = rh_new (3, 1, no_pre_vote);
  rh_start_all (h);
  cr_assert_eq (rh_elect (h, 0), 0);
  for (int r = 0; r < 2; r++) {
    rh_fire_timeout (h, 0);
    rh_deliver_all (h, 100);
  }
  rh_fire_timeout (h, 0);
  uint64_t old_round = rh_node (h, 0)->round_sent;
  cr_assert_geq (old_round, 3u);
  int held = find_msg (h, 0, 1, RAFT_MSG_APPEND_ENTRIES);
  cr_assert_geq (held, 0);
  /* Deliver everything else; keep the round-3 heartbeat to n2 in flight. */
  while (h->net->len > 1)
    rh_deliver (h, held == 0 ? 1 : 0), held = held == 0 ? 0 : held - 1;
  cr_assert_eq (find_msg (h, 0, 1, RAFT_MSG_APPEND_ENTRIES), 0);
  rh_crash (h, 0);
  rh_restart (h, 0);
  h->now_us += rh_cfg (h)->election_max_us;
  rh_fire_timeout (h, 0);
  /* The vote requests and answers, but not the held heartbeat (index 0). */
  while (h->net->len > 1 && rh_node (h, 0)->role != RAFT_LEADER)
    rh_deliver (h, 1);
  cr_assert_eq (rh_node (h, 0)->role, RAFT_LEADER);
  cr_assert_eq (rh_node (h, 0)->persist.current_term, 2u);
  cr_assert_eq (rh_node (h, 0)->round_sent, 1u);
  /* A read arrives and waits for round 2. */
  rh_client_target (h, 0, 0);
  rh_invoke (h, 0, PROTO_OP_READ, 0, 0, 0);
  int req = find_msg (h, -1, 0, RAFT_MSG_CLIENT_REQUEST);
  cr_assert_geq (req, 0);
  rh_deliver (h, (guint) req);
  cr_assert_eq (rh_node (h, 0)->n_reads, 1u);
  /* Now the old heartbeat reaches n2, and its answer reaches n1. */
  cr_assert_eq (rh_node (h, 1)->persist.current_term, 2u);
  rh_deliver (h, 0);
  int ans = find_msg (h, 1, 0, RAFT_MSG_APPEND_ENTRIES_RESULT);
  cr_assert_geq (ans, 0);
  const RhMsg *m = g_ptr_array_index (h->net, (guint) ans);
  RaftAppendEntriesResult r;
  memcpy (&r, g_bytes_get_data (m->bytes, NULL), sizeof r);
  cr_assert_eq (r.term, 2u, "n2 answers in its own term");
  cr_assert_eq (r.req_term, 1u, "and names the term of the request it answers");
  cr_assert_eq (r.round, old_round);
  rh_deliver (h, (guint) ans);
  cr_expect (rh_reached (h, "stale-answer-ignored"));
  cr_expect_eq (rh_node (h, 0)->acked_round[1], 0u, "n2 acknowledged no round of term 2");
  cr_expect_eq (rh_node (h, 0)->round_confirmed, 0u);
  cr_expect_eq (rh_node (h, 0)->n_reads, 1u, "the read still waits");
  cr_expect_not (h->has_result[0]);
  /* n2's genuine answers still count. */
  rh_deliver_all (h, 100);
  cr_expect_geq (rh_node (h, 0)->acked_round[1], 1u);
  expect_no_violation (h);
}

/* Thesis 6.2, CheckQuorum: a leader cut off from every follower steps down
 * after an election timeout, so its clients are redirected instead of
 * waiting; with the knob off it stays leader. */
Test (raft, check_quorum_deposes_a_cut_off_leader)
{
  for (int on = 0; on < 2; on++) {
    g_autoptr (RaftHarness) h = rh_new (3, 1, NULL);
    rh_cfg (h)->check_quorum = on;
    rh_start_all (h);
    cr_assert_eq (rh_elect (h, 0), 0);
    rh_cut (h, 1, TRUE);
    rh_cut (h, 2, TRUE);
    for (int i = 0; i < 8; i++) {
      rh_fire_timeout (h, 0);
      rh_drop_all (h);
    }
    cr_expect_eq (rh_node (h, 0)->role == RAFT_LEADER, !on);
    cr_expect_eq (rh_reached (h, "check-quorum-step-down"), on);
    cr_expect_eq (rh_node (h, 0)->persist.current_term, 1u,
                  "stepping down keeps the term (pre-votes change none)");
    rh_client_target (h, 0, 0);
    rh_invoke (h, 0, PROTO_OP_WRITE, 0, 1, 0);
    int req = find_msg (h, -1, 0, RAFT_MSG_CLIENT_REQUEST);
    cr_assert_geq (req, 0);
    rh_deliver (h, (guint) req);
    cr_expect_eq (find_msg (h, 0, 3, RAFT_MSG_CLIENT_REPLY) >= 0, on,
                  "the client is redirected at once only with CheckQuorum");
    expect_no_violation (h);
  }
}

/* A follower's synced log entry is damaged on its disk while it is down:
 * on restart the hash chain shows it, the log is cut before it, and until
 * its commit index passes the last entry it had, it votes only for logs
 * at least as up-to-date as that entry. */
Test (raft, damaged_log_entry_is_cut_and_the_node_votes_carefully)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  for (int i = 0; i < 3; i++) {
    rh_invoke (h, 0, PROTO_OP_WRITE, 0, 10 + i, 0);
    rh_deliver_all (h, 100);
  }
  rh_fire_timeout (h, 0);
  rh_deliver_all (h, 100);
  uint64_t last = rh_node (h, 2)->persist.last_index;
  uint64_t last_term = raft_log_term (rh_node (h, 2), last);
  cr_assert_geq (last, 4u);
  rh_crash (h, 2);
  RaftNode *n3 = rh_node_mut (h, 2);
  n3->persist.log[2 % RAFT_LOG_CAP].e.value ^= 1 << 5; /* a bit flips in entry 2 */
  rh_restart (h, 2);
  cr_expect (rh_reached (h, "log-suffix-discarded"));
  cr_expect_eq (rh_node (h, 2)->persist.last_index, 1u, "cut before entry 2");
  cr_expect_eq (rh_node (h, 2)->persist.recover_index, last);
  cr_expect_eq (rh_node (h, 2)->persist.recover_term, last_term);
  cr_expect_not (rh_node (h, 2)->is_halted);

  /* A candidate whose log ends before the lost entries gets no vote. */
  RaftRequestVote rv;
  memset (&rv, 0, sizeof rv);
  rv.type = RAFT_MSG_REQUEST_VOTE;
  rv.term = 5;
  rv.last_log_index = 1;
  rv.last_log_term = 1;
  h->now_us += 10 * rh_cfg (h)->election_max_us;
  ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .from = 1, .msg = &rv, .msg_len = sizeof rv,
                    .now_us = h->now_us };
  proto_outbox_reset (&h->out);
  proto_raft.step (rh_node_mut (h, 2), &h->ctx[2], &ev, &h->out);
  cr_expect_not (rh_node (h, 2)->persist.has_voted, "no vote for a log behind the lost entry");
  /* One as up-to-date as the lost entry gets it. */
  rv.term = 6;
  rv.last_log_index = last;
  rv.last_log_term = last_term;
  proto_outbox_reset (&h->out);
  proto_raft.step (rh_node_mut (h, 2), &h->ctx[2], &ev, &h->out);
  h->deadline_us[2] = h->out.deadline_us;
  cr_expect (rh_node (h, 2)->persist.has_voted);
  cr_expect_eq (rh_node (h, 2)->persist.voted_for, 1);
  /* It stands for no election while recovering. */
  rh_fire_timeout (h, 2);
  cr_expect_eq (rh_node (h, 2)->role, RAFT_FOLLOWER);
  cr_expect (rh_reached (h, "recovering-no-vote"));
}

/* A damaged header (term, vote, log bounds) cannot be repaired from the
 * node's own disk: the node stops and says so. */
Test (raft, damaged_header_stops_the_node)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  rh_crash (h, 1);
  rh_node_mut (h, 1)->persist.current_term ^= 1u << 3;
  rh_restart (h, 1);
  cr_expect (rh_reached (h, "storage-corrupt-halt"));
  cr_expect (rh_node (h, 1)->is_halted);
  cr_expect_eq (h->deadline_us[1], PROTO_NO_DEADLINE);
  guint before = h->net->len;
  rh_fire_timeout (h, 0);
  rh_deliver_all (h, 100);
  cr_expect (rh_node (h, 1)->is_halted);
  cr_expect_eq (rh_node (h, 1)->role, RAFT_FOLLOWER);
  (void) before;
  expect_no_violation (h);
}

/* ---- Invariants over the whole run ---------------------------------------*/

typedef struct {
  RaftNode nodes[2];
  RaftGhost ghost;
  ProtoCtx ctx[2];
  RaftConfig cfg;
  GString *why;
} CheckBench;

static CheckBench *
check_bench_new (void)
{
  CheckBench *b = g_new0 (CheckBench, 1);
  proto_config_defaults (&proto_raft, &b->cfg);
  for (int i = 0; i < 2; i++) {
    b->ctx[i].self = i;
    b->ctx[i].n_nodes = 2;
    b->ctx[i].config = &b->cfg;
  }
  b->why = g_string_new (NULL);
  return b;
}

static void
check_bench_free (CheckBench *b)
{
  proto_raft.ghost_free (&b->ghost);
  g_string_free (b->why, TRUE);
  g_free (b);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CheckBench, check_bench_free)

static gboolean
bench_check (CheckBench *b)
{
  const void *states[2] = { &b->nodes[0], &b->nodes[1] };
  gboolean up[2] = { TRUE, TRUE };
  g_string_truncate (b->why, 0);
  return proto_raft.check (&b->ghost, states, up, b->ctx, 2, b->why);
}

/* n1 leads terms 1 to 2000; then n2 claims term 1.  The ghost remembers
 * every term, not the last few hundred. */
Test (raft, election_safety_remembers_every_term)
{
  g_autoptr (CheckBench) b = check_bench_new ();
  b->nodes[0].role = RAFT_LEADER;
  for (uint64_t t = 1; t <= 2000; t++) {
    b->nodes[0].persist.current_term = t;
    cr_assert (bench_check (b), "term %" G_GUINT64_FORMAT ": %s", t, b->why->str);
  }
  b->nodes[0].role = RAFT_FOLLOWER;
  b->nodes[1].role = RAFT_LEADER;
  b->nodes[1].persist.current_term = 1;
  cr_assert_not (bench_check (b));
  cr_expect_str_eq (b->why->str, "election-safety: n1 and n2 were both elected leader of term 1");
}

/* n1 applies index 5, then index 5000; n2 then applies something else at
 * index 5.  Every applied index is remembered. */
Test (raft, state_machine_safety_remembers_every_index)
{
  g_autoptr (CheckBench) b = check_bench_new ();
  b->nodes[0].last_applied = 5;
  b->nodes[0].applied_chain = 0x1111;
  cr_assert (bench_check (b));
  b->nodes[0].last_applied = 5000;
  b->nodes[0].applied_chain = 0x2222;
  cr_assert (bench_check (b));
  b->nodes[1].last_applied = 5;
  b->nodes[1].applied_chain = 0x3333;
  cr_assert_not (bench_check (b));
  cr_expect_str_eq (b->why->str, "state-machine-safety: n1 and n2 applied different entries at "
                                 "index 5 (or before it)");
}

static void
bench_log (RaftNode *n, const uint64_t *terms, const uint64_t *chains, int len)
{
  n->persist.last_index = (uint64_t) len;
  for (int i = 1; i <= len; i++) {
    n->persist.log[i].e.term = terms[i - 1];
    n->persist.log[i].chain = chains[i - 1];
  }
}

/* Terms 1 1 2 against 1 1 3: the logs' ends differ in term, but both hold
 * entry 2 of term 1, and there they differ.  The check walks down to it. */
Test (raft, log_matching_looks_below_the_logs_ends)
{
  g_autoptr (CheckBench) b = check_bench_new ();
  static const uint64_t ta[] = { 1, 1, 2 }, tb[] = { 1, 1, 3, 3 };
  static const uint64_t ca[] = { 11, 12, 13 }, cb[] = { 11, 99, 23, 24 };
  bench_log (&b->nodes[0], ta, ca, 3);
  bench_log (&b->nodes[1], tb, cb, 4);
  cr_assert_not (bench_check (b));
  cr_expect_str_eq (b->why->str, "log-matching: n1 and n2 both have entry 2 of term 1 but their "
                                 "logs differ before it");
  /* The same logs agreeing at entry 2 pass. */
  static const uint64_t cb_ok[] = { 11, 12, 23, 24 };
  bench_log (&b->nodes[1], tb, cb_ok, 4);
  cr_expect (bench_check (b), "%s", b->why->str);
}

/* ---- Membership ----------------------------------------------------------*/

static void
three_of_five (RaftConfig *cfg)
{
  cfg->members = 3;
}

/* Thesis 4.1: one server at a time.  n4 and n5 start outside the
 * configuration; the leader adds n4, refuses to add n5 until that change
 * is committed, then adds it.  With the seeded bug it adds both at once. */
Test (raft, one_membership_change_at_a_time)
{
  for (int bug = 0; bug < 2; bug++) {
    g_autoptr (RaftHarness) h = rh_new (5, 1, three_of_five);
    if (bug)
      rh_cfg (h)->bug = RAFT_BUG_TWO_CHANGES_AT_ONCE;
    rh_start_all (h);
    cr_assert_eq (rh_elect (h, 0), 0);
    rh_deliver_all (h, 100);
    cr_expect_eq (rh_node (h, 0)->config, 0x7u);
    cr_expect_eq (rh_node (h, 3)->config, 0x7u, "n4 starts outside the configuration");
    rh_fire_timeout (h, 3);
    cr_expect_eq (rh_node (h, 3)->role, RAFT_FOLLOWER, "and stands for no election");
    RaftNode *leader = rh_node_mut (h, 0);
    proto_outbox_reset (&h->out);
    proto_raft.admin (leader, &h->ctx[0], "add n4", h->now_us, &h->out);
    cr_expect_eq (leader->config, 0xfu);
    cr_expect_eq (leader->config_index, leader->persist.last_index);
    cr_expect (h->out.sync, "the new configuration is synced before it is sent");
    proto_outbox_reset (&h->out);
    proto_raft.admin (leader, &h->ctx[0], "add n5", h->now_us, &h->out);
    if (!bug) {
      cr_expect_eq (leader->config, 0xfu, "the second change waits");
      cr_expect_eq (h->out.marks->len, 1u);
      cr_expect_str_eq (g_ptr_array_index (h->out.marks, 0), "config-change-refused");
    } else {
      cr_expect_eq (leader->config, 0x1fu, "the bug starts it at once");
    }
    /* Commit the first change (a round of heartbeats reaches n2..n4). */
    rh_fire_timeout (h, 0);
    rh_deliver_all (h, 200);
    rh_fire_timeout (h, 0);
    rh_deliver_all (h, 200);
    cr_expect_geq (rh_node (h, 0)->commit_index, rh_node (h, 0)->config_index);
    cr_expect_eq (rh_node (h, 3)->config, bug ? 0x1fu : 0xfu, "n4 has caught up");
    if (!bug) {
      proto_outbox_reset (&h->out);
      proto_raft.admin (rh_node_mut (h, 0), &h->ctx[0], "add n5", h->now_us, &h->out);
      cr_expect_eq (rh_node (h, 0)->config, 0x1fu, "once committed, the next change starts");
    }
    expect_no_violation (h);
  }
}

/* A leader that removes itself keeps leading until the change is
 * committed, counting only the others, then steps down (thesis 4.2.2). */
Test (raft, removed_leader_steps_down_once_committed)
{
  g_autoptr (RaftHarness) h = rh_new (3, 1, NULL);
  rh_start_all (h);
  cr_assert_eq (rh_elect (h, 0), 0);
  rh_deliver_all (h, 100);
  proto_outbox_reset (&h->out);
  proto_raft.admin (rh_node_mut (h, 0), &h->ctx[0], "remove n1", h->now_us, &h->out);
  cr_expect_eq (rh_node (h, 0)->config, 0x6u);
  cr_expect_eq (rh_node (h, 0)->role, RAFT_LEADER);
  rh_fire_timeout (h, 0);
  rh_deliver_all (h, 100);
  cr_expect (rh_reached (h, "removed-leader-steps-down"));
  cr_expect_eq (rh_node (h, 0)->role, RAFT_FOLLOWER);
  cr_expect_eq (rh_node (h, 1)->config, 0x6u);
  rh_fire_timeout (h, 0);
  cr_expect_eq (rh_node (h, 0)->role, RAFT_FOLLOWER, "a removed node stands for no election");
  expect_no_violation (h);
}

/* A follower whose disk lost entries it had acknowledged (a storage fault,
 * or the seeded bug reply-before-sync) rejects AppendEntries below the
 * leader's matchIndex for it.  The leader lowers matchIndex and resends
 * from where the follower's log ends.  Kept at matchIndex + 1 instead,
 * nextIndex drew the same rejection for ever: a message storm that grew
 * with every duplicated message (millions of messages in a few virtual
 * seconds of a fuzz run). */
Test (raft, follower_that_lost_acknowledged_entries_is_repaired)
{
  g_autoptr (RaftHarness) h = election_and_write ();
  rh_client_target (h, 0, 0);
  for (int k = 0; k < 3; k++) {
    rh_invoke (h, 0, PROTO_OP_WRITE, 1, 100 + k, 0);
    rh_deliver_all (h, 100);
  }
  uint64_t last = rh_node (h, 0)->persist.last_index;
  cr_assert_eq (rh_node (h, 0)->match_index[1], last);
  /* n2 crashes; its disk comes back with the log cut after entry 1. */
  rh_crash (h, 1);
  RaftPersist *p = &rh_node_mut (h, 1)->persist;
  p->last_index = 1;
  p->last_term = raft_log_term (rh_node (h, 1), 1);
  p->meta_sum = raft_meta_sum (p);
  rh_restart (h, 1);
  rh_fire_timeout (h, 0); /* a heartbeat at matchIndex: n2 lacks entries from 2 */
  guint delivered = rh_deliver_all (h, 200);
  cr_expect_lt (delivered, 200u, "the exchange ends");
  cr_expect (rh_reached (h, "follower-log-regressed"));
  cr_expect_eq (rh_node (h, 1)->persist.last_index, last, "n2 got its entries again");
  cr_expect_eq (rh_node (h, 0)->match_index[1], last);
  expect_no_violation (h);
}

/* A candidate that already voted for itself in a term gets a RequestVote
 * for that term from a candidate whose log is as good as its own: no vote,
 * but its election timer restarts, so that it does not start the next term
 * ahead of that candidate round after round (a server added back with a
 * stale configuration never asks the other for its vote).  A candidate
 * with a log behind its own does not restart it. */
Test (raft, vote_taken_but_up_to_date_candidate_restarts_the_timer)
{
  g_autoptr (RaftHarness) h = rh_new (3, 1, no_pre_vote);
  rh_start_all (h);
  rh_fire_timeout (h, 2);
  rh_drop_all (h);
  cr_assert_eq (rh_node (h, 2)->role, RAFT_CANDIDATE);
  cr_assert_eq (rh_node (h, 2)->persist.voted_for, 2);
  RaftRequestVote rv;
  memset (&rv, 0, sizeof rv);
  rv.type = RAFT_MSG_REQUEST_VOTE;
  rv.term = rh_node (h, 2)->persist.current_term;
  h->now_us += 20000;
  ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .from = 1, .msg = &rv, .msg_len = sizeof rv,
                    .now_us = h->now_us };
  int64_t before = rh_node (h, 2)->election_deadline_us;
  proto_outbox_reset (&h->out);
  proto_raft.step (rh_node_mut (h, 2), &h->ctx[2], &ev, &h->out);
  cr_expect_eq (rh_node (h, 2)->persist.voted_for, 2, "its vote stays its own");
  cr_expect_gt (rh_node (h, 2)->election_deadline_us, before);
  cr_expect_geq (rh_node (h, 2)->election_deadline_us - h->now_us, rh_cfg (h)->election_min_us);
  gboolean marked = FALSE;
  for (guint i = 0; i < h->out.marks->len; i++)
    marked = marked || strcmp (g_ptr_array_index (h->out.marks, i),
                               "vote-taken-timer-restarted") == 0;
  cr_expect (marked);

  /* n3 appends an entry of its term: a candidate with an empty log is
   * behind it, and its request changes nothing. */
  RaftNode *n3 = rh_node_mut (h, 2);
  n3->persist.last_index = 1;
  n3->persist.log[1 % RAFT_LOG_CAP].e.term = n3->persist.current_term;
  int64_t kept = n3->election_deadline_us;
  h->now_us += 20000;
  ev.now_us = h->now_us;
  proto_outbox_reset (&h->out);
  proto_raft.step (n3, &h->ctx[2], &ev, &h->out);
  cr_expect_eq (rh_node (h, 2)->election_deadline_us, kept);
}
