/* test_quorum.c: the quorum protocol's parts, driven directly: the ring,
 * version cells (siblings and their merge), message handlers and the
 * invariants.  Whole runs are in test_quorum_world.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "protocols/quorum/quorum.h"

/* ---- Ring ----------------------------------------------------------------*/

Test (quorum_ring, shares_of_256_vnodes_on_5_nodes_within_10_percent)
{
  double shares[PROTO_MAX_NODES];
  quorum_ring_shares (5, 256, shares);
  double total = 0;
  for (int i = 0; i < 5; i++) {
    cr_log_info ("n%d owns %.4f of the ring", i + 1, shares[i]);
    cr_expect (shares[i] >= 0.2 * 0.9 && shares[i] <= 0.2 * 1.1,
               "n%d owns %.4f of the ring, not within 10%% of 0.2", i + 1, shares[i]);
    total += shares[i];
  }
  cr_expect (total > 0.999999 && total < 1.000001, "shares add up to %f", total);
}

Test (quorum_ring, few_vnodes_spread_worse_than_many)
{
  /* The reason for virtual nodes (Dynamo 4.2): with one point per node the
   * shares are far apart. */
  double one[PROTO_MAX_NODES], many[PROTO_MAX_NODES];
  quorum_ring_shares (5, 1, one);
  quorum_ring_shares (5, 256, many);
  double lo1 = 1, hi1 = 0, lo = 1, hi = 0;
  for (int i = 0; i < 5; i++) {
    lo1 = MIN (lo1, one[i]), hi1 = MAX (hi1, one[i]);
    lo = MIN (lo, many[i]), hi = MAX (hi, many[i]);
  }
  cr_expect_gt (hi1 - lo1, hi - lo);
}

Test (quorum_ring, preference_lists_hold_distinct_nodes)
{
  for (int n_nodes = 1; n_nodes <= PROTO_MAX_NODES; n_nodes++)
    for (int vnodes = 1; vnodes <= 64; vnodes *= 4) {
      uint32_t first_nodes = 0;
      for (int key = 0; key < QUORUM_MAX_KEYS; key++) {
        uint8_t order[PROTO_MAX_NODES];
        quorum_ring_order (n_nodes, vnodes, key, order);
        uint32_t seen = 0;
        for (int k = 0; k < n_nodes; k++) {
          cr_assert_lt (order[k], n_nodes);
          cr_assert (!(seen & (1u << order[k])), "%d nodes, %d vnodes, key %d: n%d twice",
                     n_nodes, vnodes, key, order[k] + 1);
          seen |= 1u << order[k];
        }
        first_nodes |= 1u << order[0];
      }
      /* Keys do not all land on one node. */
      if (n_nodes >= 3 && vnodes >= 16)
        cr_expect_geq (__builtin_popcount (first_nodes), 3, "%d nodes: keys on %d nodes only",
                       n_nodes, __builtin_popcount (first_nodes));
    }
}

Test (quorum_ring, the_same_ring_everywhere)
{
  uint8_t a[PROTO_MAX_NODES], b[PROTO_MAX_NODES];
  quorum_ring_order (5, 16, 3, a);
  quorum_ring_order (5, 16, 3, b);
  cr_assert_arr_eq (a, b, sizeof a);
}

/* Nodes and clients take every key's order from one ring: the same as
 * each key's own. */
Test (quorum_ring, all_orders_from_one_ring)
{
  for (int n_nodes = 1; n_nodes <= PROTO_MAX_NODES; n_nodes += 3)
    for (int vnodes = 1; vnodes <= QUORUM_MAX_VNODES; vnodes *= 4) {
      uint8_t all[QUORUM_MAX_KEYS][PROTO_MAX_NODES];
      memset (all, 0xee, sizeof all);
      quorum_ring_orders (n_nodes, vnodes, all);
      for (int key = 0; key < QUORUM_MAX_KEYS; key++) {
        uint8_t one[PROTO_MAX_NODES];
        quorum_ring_order (n_nodes, vnodes, key, one);
        cr_assert_arr_eq (all[key], one, sizeof one, "%d nodes, %d vnodes, key %d", n_nodes,
                          vnodes, key);
      }
    }
}

/* ---- Cells ---------------------------------------------------------------*/

static QuorumVV
vv (uint32_t n1, uint32_t n2, uint32_t n3)
{
  QuorumVV v;
  memset (&v, 0, sizeof v);
  v.c[0] = n1, v.c[1] = n2, v.c[2] = n3;
  return v;
}

static GString *
fmt (const QuorumCell *c, gboolean is_vv)
{
  GString *s = g_string_new (NULL);
  quorum_cell_format (c, is_vv, s);
  return s;
}

Test (quorum_cell, concurrent_writes_become_siblings)
{
  QuorumCell c;
  memset (&c, 0, sizeof c);
  QuorumVV none = vv (0, 0, 0);
  quorum_cell_add_write (&c, 10, 0, 1, &none, NULL);
  quorum_cell_add_write (&c, 20, 1, 1, &none, NULL); /* did not see 10 */
  g_autoptr (GString) s = fmt (&c, TRUE);
  cr_expect_str_eq (s->str, "{10 n1:1 | 20 n2:1}");
  int64_t values[QUORUM_MAX_SIBLINGS];
  cr_expect_eq (quorum_cell_values (&c, TRUE, values), 2);
}

Test (quorum_cell, a_write_with_the_read_context_merges_the_siblings)
{
  QuorumCell c;
  memset (&c, 0, sizeof c);
  QuorumVV none = vv (0, 0, 0);
  quorum_cell_add_write (&c, 10, 0, 1, &none, NULL);
  quorum_cell_add_write (&c, 20, 1, 1, &none, NULL);
  QuorumVV read;
  quorum_cell_context (&c, &read);
  cr_expect_eq (read.c[0], 1);
  cr_expect_eq (read.c[1], 1);
  quorum_cell_add_write (&c, 30, 2, 1, &read, NULL);
  g_autoptr (GString) s = fmt (&c, TRUE);
  cr_expect_str_eq (s->str, "{30 n3:1}");
}

Test (quorum_cell, one_coordinator_two_concurrent_writes_stay_siblings)
{
  /* Plain version vectors would let n1's second write (n1:2) replace its
   * first (n1:1): same context, larger counter.  With dots they are
   * concurrent, because neither context holds the other's dot. */
  QuorumCell c;
  memset (&c, 0, sizeof c);
  QuorumVV none = vv (0, 0, 0);
  quorum_cell_add_write (&c, 10, 0, 1, &none, NULL);
  quorum_cell_add_write (&c, 20, 0, 2, &none, NULL);
  cr_expect_eq (c.n_siblings, 2);
}

Test (quorum_cell, merge_keeps_what_the_other_does_not_cover)
{
  QuorumVV none = vv (0, 0, 0);
  QuorumCell a, b, ab, ba;
  memset (&a, 0, sizeof a);
  memset (&b, 0, sizeof b);
  quorum_cell_add_write (&a, 10, 0, 1, &none, NULL);   /* {10 n1:1} */
  b = a;
  QuorumVV seen = vv (1, 0, 0);
  quorum_cell_add_write (&b, 11, 1, 1, &seen, NULL);   /* {11 n2:1}, replaced 10 */
  quorum_cell_add_write (&a, 12, 2, 1, &none, NULL);   /* {10 n1:1 | 12 n3:1} */
  ab = a;
  cr_expect (quorum_cell_merge (&ab, &b, TRUE, NULL));
  ba = b;
  cr_expect (quorum_cell_merge (&ba, &a, TRUE, NULL));
  g_autoptr (GString) s = fmt (&ab, TRUE);
  cr_expect_str_eq (s->str, "{11 n2:1 | 12 n3:1}", "10 was replaced by 11; 12 is concurrent");
  cr_expect_arr_eq (&ab, &ba, sizeof ab, "merge is commutative");
  QuorumCell again = ab;
  cr_expect_not (quorum_cell_merge (&again, &b, TRUE, NULL), "merge is idempotent");
  cr_expect_arr_eq (&again, &ab, sizeof ab);
  QuorumAcked w10 = { .dot = 1, .dot_node = 0 }, w12 = { .dot = 1, .dot_node = 2 };
  cr_expect (quorum_cell_covers (&ab, &w10, TRUE), "10 is covered by its successor 11");
  cr_expect (quorum_cell_covers (&ab, &w12, TRUE));
  cr_expect_not (quorum_cell_covers (&b, &w12, TRUE));
}

/* A garbled cell (a message corrupted in flight, shown in the trace as it
 * arrives) is formatted up to the siblings a cell holds. */
Test (quorum_cell, a_garbled_cell_is_formatted_within_its_bounds)
{
  QuorumCell c;
  memset (&c, 0, sizeof c);
  c.n_siblings = 200;
  c.has_value = 1;
  g_autoptr (GString) out = g_string_new (NULL);
  quorum_cell_format (&c, TRUE, out);
  cr_expect (strstr (out->str, " | 184 more?}") != NULL, "%s", out->str);
}

Test (quorum_cell, lww_keeps_the_larger_timestamp_ties_by_node)
{
  QuorumCell c, older, tie;
  memset (&c, 0, sizeof c);
  c = (QuorumCell) { .ts = 100, .ts_node = 1, .value = 5, .has_value = 1 };
  older = (QuorumCell) { .ts = 90, .ts_node = 2, .value = 6, .has_value = 1 };
  tie = (QuorumCell) { .ts = 100, .ts_node = 2, .value = 7, .has_value = 1 };
  cr_expect_not (quorum_cell_merge (&c, &older, FALSE, NULL), "an older write loses");
  cr_expect_eq (c.value, 5);
  cr_expect (quorum_cell_merge (&c, &tie, FALSE, NULL), "equal clocks: the larger node wins");
  cr_expect_eq (c.value, 7);
  QuorumCell empty;
  memset (&empty, 0, sizeof empty);
  cr_expect_not (quorum_cell_merge (&c, &empty, FALSE, NULL));
}

/* ---- Handlers ------------------------------------------------------------*/

typedef struct {
  QuorumConfig cfg;
  QuorumNode *nodes;
  ProtoCtx ctx[PROTO_MAX_NODES];
  ProtoOutbox out;
  int n_nodes;
} Fixture;

static Fixture *
fixture_new (int n_nodes, void (*tweak) (QuorumConfig *))
{
  Fixture *f = g_new0 (Fixture, 1);
  proto_config_defaults (&proto_quorum, &f->cfg);
  if (tweak != NULL)
    tweak (&f->cfg);
  f->n_nodes = n_nodes;
  f->nodes = g_new0 (QuorumNode, n_nodes);
  proto_outbox_init (&f->out);
  for (int i = 0; i < n_nodes; i++) {
    f->ctx[i] = (ProtoCtx) { .self = i, .n_nodes = n_nodes, .n_clients = 2, .seed = 7 + i,
                             .config = &f->cfg };
    ProtoEvent ev = { .kind = PROTO_EV_START, .now_us = 0 };
    proto_quorum.step (&f->nodes[i], &f->ctx[i], &ev, &f->out);
    proto_outbox_reset (&f->out);
  }
  return f;
}

static void
fixture_free (Fixture *f)
{
  proto_outbox_clear (&f->out);
  g_free (f->nodes);
  g_free (f);
}

/* Delivers msg to node `to` from `from`; the node's outbox is in f->out. */
static void
deliver (Fixture *f, int to, int from, const void *msg, size_t len, int64_t now_us)
{
  proto_outbox_reset (&f->out);
  f->out.sync = FALSE;
  ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .now_us = now_us, .from = from, .msg = msg,
                    .msg_len = len };
  proto_quorum.step (&f->nodes[to], &f->ctx[to], &ev, &f->out);
}

static const void *
sent (const Fixture *f, guint i, int *to, size_t *len)
{
  cr_assert_lt (i, f->out.msgs->len);
  const ProtoOutMsg *m = &g_array_index (f->out.msgs, ProtoOutMsg, i);
  *to = m->to;
  *len = m->len;
  return f->out.bytes->data + m->offset;
}

static QuorumPut
put_of (int key, int64_t ts, int ts_node, int64_t value, uint64_t tag, int hint_for)
{
  QuorumPut m;
  memset (&m, 0, sizeof m);
  m.type = QUORUM_MSG_PUT;
  m.key = (uint8_t) key;
  m.tag = tag;
  m.hint_for = (int8_t) hint_for;
  m.cell.ts = ts;
  m.cell.ts_node = ts_node;
  m.cell.value = value;
  m.cell.has_value = 1;
  return m;
}

Test (quorum_handlers, put_stores_syncs_then_acks)
{
  Fixture *f = fixture_new (3, NULL);
  QuorumPut m = put_of (2, 100, 1, 42, 9, QUORUM_NOBODY);
  deliver (f, 0, 1, &m, sizeof m, 200);
  cr_expect_eq (f->nodes[0].persist.store[2].value, 42);
  cr_expect (f->out.sync, "the ack promises durability: the store is synced first");
  int to;
  size_t len;
  const QuorumPutAck *ack = sent (f, 0, &to, &len);
  cr_expect_eq (to, 1);
  cr_expect_eq (len, sizeof *ack);
  cr_expect_eq (ack->type, QUORUM_MSG_PUT_ACK);
  cr_expect_eq (ack->tag, 9);
  /* An older version: kept out, still acknowledged (it is covered). */
  QuorumPut old = put_of (2, 50, 2, 41, 10, QUORUM_NOBODY);
  deliver (f, 0, 1, &old, sizeof old, 210);
  cr_expect_eq (f->nodes[0].persist.store[2].value, 42);
  cr_expect_eq (f->out.msgs->len, 1);
  fixture_free (f);
}

Test (quorum_handlers, a_put_for_another_node_is_held_as_a_hint)
{
  Fixture *f = fixture_new (5, NULL);
  QuorumPut m = put_of (1, 100, 1, 42, 3, 4);
  deliver (f, 0, 1, &m, sizeof m, 200);
  cr_expect_eq (f->nodes[0].persist.store[1].has_value, 0, "not in its own store");
  cr_expect_eq (f->nodes[0].persist.n_hints, 1);
  cr_expect_eq (f->nodes[0].persist.hints[0].owner, 4);
  cr_expect (f->out.sync);
  cr_expect_eq (f->out.msgs->len, 1, "acknowledged");
  /* Handoff: the holder offers it to n5, which stores it and answers; the
   * hint is then deleted. */
  proto_outbox_reset (&f->out);
  quorum_handoff_send (&f->nodes[0], &f->ctx[0], &f->out);
  int to;
  size_t len;
  const QuorumHandoff *h = sent (f, 0, &to, &len);
  cr_expect_eq (to, 4);
  QuorumHandoff copy = *h;
  deliver (f, 4, 0, &copy, sizeof copy, 300);
  cr_expect_eq (f->nodes[4].persist.store[1].value, 42);
  const QuorumHandoffAck *ack = sent (f, 0, &to, &len);
  QuorumHandoffAck ack_copy = *ack;
  deliver (f, 0, 4, &ack_copy, sizeof ack_copy, 310);
  cr_expect_eq (f->nodes[0].persist.n_hints, 0);
  fixture_free (f);
}

static void
volatile_hints (QuorumConfig *cfg)
{
  cfg->hints = QUORUM_HINTS_VOLATILE;
}

Test (quorum_handlers, volatile_hints_are_gone_after_a_restart)
{
  Fixture *f = fixture_new (5, volatile_hints);
  QuorumPut m = put_of (1, 100, 1, 42, 3, 4);
  deliver (f, 0, 1, &m, sizeof m, 200);
  cr_assert_eq (f->nodes[0].persist.n_hints, 1);
  /* A crash keeps the persist region and zeroes the rest; then START. */
  memset ((uint8_t *) &f->nodes[0] + sizeof (QuorumPersist), 0,
          sizeof (QuorumNode) - sizeof (QuorumPersist));
  proto_outbox_reset (&f->out);
  ProtoEvent ev = { .kind = PROTO_EV_START, .now_us = 500 };
  proto_quorum.step (&f->nodes[0], &f->ctx[0], &ev, &f->out);
  cr_expect_eq (f->nodes[0].persist.n_hints, 0);
  fixture_free (f);
}

/* Quorum keeps no checksums, but a disk image read back with entries no
 * correct node writes (a cell with more siblings than a cell holds, a
 * hint for a node out of range) would be read past its end: they are
 * dropped at the start, the hint count is taken again from the slots, and
 * valid entries stay as they were. */
Test (quorum_handlers, damaged_disk_entries_are_dropped_at_a_restart)
{
  Fixture *f = fixture_new (5, NULL);
  QuorumPut m = put_of (1, 100, 1, 42, 3, 4);
  deliver (f, 0, 1, &m, sizeof m, 200);
  QuorumPut k2 = put_of (2, 100, 1, 7, 4, -1);
  deliver (f, 0, 1, &k2, sizeof k2, 210);
  QuorumPersist *p = &f->nodes[0].persist;
  cr_assert_eq (p->n_hints, 1);
  QuorumCell good = p->store[2];
  p->store[3].n_siblings = 200;          /* a flipped bit */
  p->hints[5].is_used = 1;               /* a hint slot that was free */
  p->hints[5].owner = 77;
  p->n_hints = 9;
  memset ((uint8_t *) &f->nodes[0] + sizeof (QuorumPersist), 0,
          sizeof (QuorumNode) - sizeof (QuorumPersist));
  proto_outbox_reset (&f->out);
  ProtoEvent ev = { .kind = PROTO_EV_START, .now_us = 500 };
  proto_quorum.step (&f->nodes[0], &f->ctx[0], &ev, &f->out);
  cr_expect_eq (p->store[3].n_siblings, 0);
  cr_expect_eq (p->hints[5].is_used, 0);
  cr_expect_eq (p->n_hints, 1, "the hint for n5 stays and is counted once");
  cr_expect_eq (memcmp (&p->store[2], &good, sizeof good), 0, "an undamaged cell stays");
  gboolean has_mark = FALSE;
  for (guint k = 0; k < f->out.marks->len; k++)
    has_mark |= strcmp (g_ptr_array_index (f->out.marks, k), "disk-entry-damaged") == 0;
  cr_expect (has_mark);
  cr_expect (f->out.sync, "the repaired disk is written back");
  fixture_free (f);
}

Test (quorum_handlers, read_repair_merges_a_newer_version_stays)
{
  Fixture *f = fixture_new (3, NULL);
  QuorumPut newer = put_of (0, 200, 1, 7, 5, QUORUM_NOBODY);
  deliver (f, 0, 1, &newer, sizeof newer, 10);
  QuorumPut repair = put_of (0, 100, 2, 6, 0, QUORUM_NOBODY);
  deliver (f, 0, 2, &repair, sizeof repair, 20);
  cr_expect_eq (f->nodes[0].persist.store[0].value, 7);
  cr_expect_eq (f->out.msgs->len, 0, "a repair is not acknowledged");
  fixture_free (f);
}

static void
bug_repair_overwrites (QuorumConfig *cfg)
{
  cfg->bug = QUORUM_BUG_READ_REPAIR_OVERWRITES_NEWER;
}

Test (quorum_handlers, bug_read_repair_overwrites_newer)
{
  Fixture *f = fixture_new (3, bug_repair_overwrites);
  QuorumPut newer = put_of (0, 200, 1, 7, 5, QUORUM_NOBODY);
  deliver (f, 0, 1, &newer, sizeof newer, 10);
  QuorumPut repair = put_of (0, 100, 2, 6, 0, QUORUM_NOBODY);
  deliver (f, 0, 2, &repair, sizeof repair, 20);
  cr_expect_eq (f->nodes[0].persist.store[0].value, 6, "the seeded bug replaced 7");
  fixture_free (f);
}

Test (quorum_handlers, get_reports_store_and_hints)
{
  Fixture *f = fixture_new (5, NULL);
  QuorumPut hinted = put_of (3, 100, 1, 42, 3, 4);
  deliver (f, 0, 1, &hinted, sizeof hinted, 10);
  QuorumGet g;
  memset (&g, 0, sizeof g);
  g.type = QUORUM_MSG_GET;
  g.key = 3;
  g.tag = 77;
  deliver (f, 0, 2, &g, sizeof g, 20);
  int to;
  size_t len;
  const QuorumGetReply *r = sent (f, 0, &to, &len);
  cr_expect_eq (to, 2);
  cr_expect_eq (r->tag, 77);
  cr_expect_eq (r->cell.value, 42);
  fixture_free (f);
}

/* A write at a coordinator that is a replica: it stores locally, sends the
 * version to the other n - 1 replicas, and answers the client after w - 1
 * of them acknowledge. */
Test (quorum_handlers, write_coordinator_waits_for_w_acks)
{
  Fixture *f = fixture_new (3, NULL); /* n = 3, w = 2, lww */
  QuorumClientRequest req;
  memset (&req, 0, sizeof req);
  req.type = QUORUM_MSG_CLIENT_REQUEST;
  req.kind = QUORUM_OP_WRITE;
  req.client = 0;
  req.key = 0;
  req.seq = 1;
  req.value = 5;
  deliver (f, 0, 3, &req, sizeof req, 1000);
  cr_expect_eq (f->nodes[0].persist.store[0].value, 5, "stored at the coordinator");
  cr_expect_eq (f->nodes[0].persist.store[0].ts, 1000, "stamped with its clock");
  cr_assert_eq (f->out.msgs->len, 2, "a Put to each other replica");
  int to;
  size_t len;
  const QuorumPut *p = sent (f, 0, &to, &len);
  uint64_t tag = p->tag;
  int replica = to;
  cr_expect_neq (replica, 0);
  QuorumPutAck ack;
  memset (&ack, 0, sizeof ack);
  ack.type = QUORUM_MSG_PUT_ACK;
  ack.key = 0;
  ack.tag = tag;
  deliver (f, 0, replica, &ack, sizeof ack, 1100);
  cr_assert_eq (f->out.msgs->len, 1, "w = 2 reached: the client is answered");
  const QuorumClientReply *r = sent (f, 0, &to, &len);
  cr_expect_eq (to, 3);
  cr_expect_eq (r->type, QUORUM_MSG_CLIENT_REPLY);
  cr_expect_eq (r->seq, 1);
  cr_expect_eq (f->nodes[0].n_acked, 1, "shown to the no-lost-write invariant");
  /* A duplicate ack changes nothing. */
  deliver (f, 0, replica, &ack, sizeof ack, 1200);
  cr_expect_eq (f->out.msgs->len, 0);
  fixture_free (f);
}

static QuorumClientRequest
write_of (uint32_t seq, int64_t value)
{
  QuorumClientRequest req;
  memset (&req, 0, sizeof req);
  req.type = QUORUM_MSG_CLIENT_REQUEST;
  req.kind = QUORUM_OP_WRITE;
  req.key = 0;
  req.seq = seq;
  req.value = value;
  return req;
}

/* A crash as the world does it: the persist region as the disk gives it
 * back, the rest zeroed; then START, whose outbox stays in f->out. */
static void
crash_and_restart (Fixture *f, int i, const QuorumPersist *disk, int64_t now_us)
{
  memset (&f->nodes[i], 0, sizeof f->nodes[i]);
  f->nodes[i].persist = *disk;
  proto_outbox_reset (&f->out);
  f->out.sync = FALSE;
  ProtoEvent ev = { .kind = PROTO_EV_START, .now_us = now_us };
  proto_quorum.step (&f->nodes[i], &f->ctx[i], &ev, &f->out);
}

/* Acks sent to an earlier incarnation of the coordinator may arrive after
 * it restarted: they answer no operation of the new one.  Counted for a new
 * write under a reused tag, they would make w acks of a write only the
 * coordinator holds.  The restarted node keeps its seed here, so that a
 * tag drawn from the seed would come out the same in both incarnations:
 * only the incarnation on disk tells the two requests apart. */
Test (quorum_handlers, an_ack_from_before_a_restart_counts_for_nothing)
{
  Fixture *f = fixture_new (3, NULL); /* n = 3, w = 2, lww */
  QuorumClientRequest req = write_of (1, 5);
  deliver (f, 0, 3, &req, sizeof req, 1000);
  int to;
  size_t len;
  const QuorumPut *p = sent (f, 0, &to, &len);
  QuorumPutAck stale;
  memset (&stale, 0, sizeof stale);
  stale.type = QUORUM_MSG_PUT_ACK;
  stale.key = 0;
  stale.tag = p->tag;
  int replica = to;
  cr_expect_eq (quorum_tag_incarnation (stale.tag), 1, "the first boot is incarnation 1");
  QuorumPersist disk = f->nodes[0].persist;
  crash_and_restart (f, 0, &disk, 1500); /* same ctx->seed */
  cr_expect (f->out.sync, "the new incarnation is made durable before anything is sent");
  cr_expect_eq (f->nodes[0].persist.incarnation, 2);
  /* The client's next write goes to the restarted node. */
  req = write_of (2, 6);
  deliver (f, 0, 3, &req, sizeof req, 2000);
  p = sent (f, 0, &to, &len);
  cr_expect_neq (p->tag, stale.tag, "a new incarnation reused tag %" G_GINT64_MODIFIER "x",
                 stale.tag);
  cr_expect_eq (quorum_tag_incarnation (p->tag), 2);
  QuorumPutAck fresh = stale;
  fresh.tag = p->tag;
  deliver (f, 0, replica, &stale, sizeof stale, 2100);
  cr_expect_eq (f->out.msgs->len, 0, "the stale ack answered the new write");
  cr_expect_eq (f->nodes[0].n_acked, 0);
  cr_expect_eq (f->out.marks->len, 1);
  if (f->out.marks->len == 1)
    cr_expect_str_eq (g_ptr_array_index (f->out.marks, 0), "reply-to-earlier-incarnation");
  deliver (f, 0, replica, &fresh, sizeof fresh, 2200);
  cr_expect_eq (f->out.msgs->len, 1, "w = 2 reached with the new write's ack");
  cr_expect_eq (f->nodes[0].n_acked, 1);
  fixture_free (f);
}

/* A slow disk as the world keeps one (sim/storage.c): a step that asks
 * for a sync snapshots the persist region, which becomes the disk image
 * when the test completes the sync; the messages of a step wait for every
 * sync asked up to it; a crash gives back the image and loses the waiting
 * messages.  Only request tags are followed. */
typedef struct {
  QuorumPersist image, syncing;
  gboolean is_syncing;
  GArray *held; /* tags of requests waiting for the sync */
  GArray *left; /* tags of requests that left the node, one per request */
} SlowDisk;

static void
disk_step_end (SlowDisk *d, const Fixture *f, int i)
{
  if (f->out.sync) {
    d->syncing = f->nodes[i].persist;
    d->is_syncing = TRUE;
  }
  uint64_t last = 0;
  for (guint k = 0; k < f->out.msgs->len; k++) {
    int to;
    size_t len;
    const uint8_t *m = sent (f, k, &to, &len);
    uint64_t tag = 0;
    if (m[0] == QUORUM_MSG_PUT)
      tag = ((const QuorumPut *) (const void *) m)->tag;
    else if (m[0] == QUORUM_MSG_GET)
      tag = ((const QuorumGet *) (const void *) m)->tag;
    if (tag == 0 || tag == last)
      continue; /* not a request, or the same request to another replica */
    last = tag;
    g_array_append_val (d->held, tag);
  }
}

/* The sync in flight completes (if any); the requests waiting for it
 * leave, and every one must carry an incarnation the disk now holds. */
static void
disk_sync_done (SlowDisk *d)
{
  if (d->is_syncing)
    d->image = d->syncing;
  d->is_syncing = FALSE;
  for (guint k = 0; k < d->held->len; k++) {
    uint64_t tag = g_array_index (d->held, uint64_t, k);
    cr_expect_leq (quorum_tag_incarnation (tag), d->image.incarnation,
                   "a request left before its incarnation was durable");
    g_array_append_val (d->left, tag);
  }
  g_array_set_size (d->held, 0);
}

static void
disk_crash_and_restart (SlowDisk *d, Fixture *f, int i, int64_t now_us)
{
  d->is_syncing = FALSE;
  g_array_set_size (d->held, 0);
  crash_and_restart (f, i, &d->image, now_us);
  disk_step_end (d, f, i);
}

/* The node crashes again while the sync of its new incarnation is in
 * flight, after it sent a request under it.  That request never left (it
 * waited for the sync), and the disk still says the earlier incarnation,
 * so the next start takes the same incarnation number again: no tag that
 * left the node is ever used twice, and the ack to the first incarnation's
 * request still counts for nothing.  The seed never changes (a tag drawn
 * from it would repeat). */
Test (quorum_handlers, a_crash_before_the_incarnation_is_durable_reuses_no_tag)
{
  Fixture *f = fixture_new (3, NULL); /* n = 3, w = 2, lww */
  SlowDisk d = { .held = g_array_new (FALSE, FALSE, sizeof (uint64_t)),
                 .left = g_array_new (FALSE, FALSE, sizeof (uint64_t)) };
  d.image = f->nodes[0].persist; /* the first boot's sync is done */
  QuorumClientRequest req = write_of (1, 5);
  deliver (f, 0, 3, &req, sizeof req, 1000);
  disk_step_end (&d, f, 0);
  disk_sync_done (&d); /* the coordinator's own store */
  cr_assert_eq (d.left->len, 1, "the first write's Puts left");
  int to;
  size_t len;
  QuorumPutAck stale;
  memset (&stale, 0, sizeof stale);
  stale.type = QUORUM_MSG_PUT_ACK;
  stale.tag = g_array_index (d.left, uint64_t, 0);
  sent (f, 0, &to, &len);
  int replica = to;

  disk_crash_and_restart (&d, f, 0, 1500);
  cr_expect (d.is_syncing, "the restart asks for a sync");
  req = write_of (2, 6);
  deliver (f, 0, 3, &req, sizeof req, 1600);
  disk_step_end (&d, f, 0);
  cr_expect_eq (d.held->len, 1, "the second write waits for the incarnation's sync");
  cr_expect_eq (d.left->len, 1);

  disk_crash_and_restart (&d, f, 0, 1700); /* the sync never completed */
  cr_expect_eq (f->nodes[0].persist.incarnation, 2, "incarnation 2 again: its bump was lost");
  disk_sync_done (&d);
  req = write_of (3, 7);
  deliver (f, 0, 3, &req, sizeof req, 2000);
  disk_step_end (&d, f, 0);
  disk_sync_done (&d);
  cr_assert_eq (d.left->len, 2);
  for (guint a = 0; a < d.left->len; a++) {
    uint64_t tag = g_array_index (d.left, uint64_t, a);
    for (guint b = 0; b < a; b++)
      cr_expect_neq (tag, g_array_index (d.left, uint64_t, b),
                     "two requests that left share tag %" G_GINT64_MODIFIER "x", tag);
  }
  /* The first write's ack, late, answers nothing. */
  proto_outbox_reset (&f->out);
  deliver (f, 0, replica, &stale, sizeof stale, 2100);
  cr_expect_eq (f->out.msgs->len, 0, "the stale ack answered the new write");
  cr_expect_eq (f->nodes[0].n_acked, 0);
  g_array_unref (d.held);
  g_array_unref (d.left);
  fixture_free (f);
}

/* 2^32 requests in one incarnation: rather than wrap onto tags already
 * used, the count moves on to a new incarnation, synced before the request
 * leaves. */
Test (quorum_handlers, the_tag_count_moves_to_a_new_incarnation_instead_of_wrapping)
{
  Fixture *f = fixture_new (3, NULL);
  f->nodes[0].tag_count = UINT32_MAX - 1;
  QuorumClientRequest req = write_of (1, 5);
  deliver (f, 0, 3, &req, sizeof req, 1000);
  int to;
  size_t len;
  const QuorumPut *p = sent (f, 0, &to, &len);
  cr_expect_eq (p->tag, quorum_tag (1, UINT32_MAX));
  req = write_of (2, 6);
  deliver (f, 0, 3, &req, sizeof req, 1100);
  p = sent (f, 0, &to, &len);
  cr_expect_eq (p->tag, quorum_tag (2, 1));
  cr_expect_eq (f->nodes[0].persist.incarnation, 2);
  cr_expect (f->out.sync, "the new incarnation is durable before the request leaves");
  gboolean has_mark = FALSE;
  for (guint k = 0; k < f->out.marks->len; k++)
    has_mark |= strcmp (g_ptr_array_index (f->out.marks, k), "tag-count-wrapped") == 0;
  cr_expect (has_mark, "the mark tag-count-wrapped");
  fixture_free (f);
}

/* ---- Invariants ----------------------------------------------------------*/

Test (quorum_check, a_version_going_back_is_caught)
{
  Fixture *f = fixture_new (3, NULL);
  QuorumGhost *ghost = g_new0 (QuorumGhost, 1);
  const void *states[3] = { &f->nodes[0], &f->nodes[1], &f->nodes[2] };
  gboolean up[3] = { TRUE, TRUE, TRUE };
  g_autoptr (GString) why = g_string_new (NULL);
  f->nodes[1].persist.store[0] = (QuorumCell) { .ts = 100, .value = 5, .has_value = 1 };
  cr_assert (quorum_check (ghost, states, up, f->ctx, 3, why), "%s", why->str);
  f->nodes[1].persist.store[0] = (QuorumCell) { .ts = 90, .value = 4, .has_value = 1 };
  cr_expect_not (quorum_check (ghost, states, up, f->ctx, 3, why));
  cr_expect (g_str_has_prefix (why->str, "version-monotonic: n2's version of key 0"), "%s",
             why->str);
  g_free (ghost);
  fixture_free (f);
}

Test (quorum_check, an_acknowledged_write_on_too_few_nodes_is_caught)
{
  Fixture *f = fixture_new (3, NULL); /* w = 2 */
  QuorumGhost *ghost = g_new0 (QuorumGhost, 1);
  const void *states[3] = { &f->nodes[0], &f->nodes[1], &f->nodes[2] };
  gboolean up[3] = { TRUE, TRUE, TRUE };
  g_autoptr (GString) why = g_string_new (NULL);
  QuorumCell v = { .ts = 100, .ts_node = 0, .value = 5, .has_value = 1 };
  f->nodes[0].persist.store[0] = v;
  f->nodes[1].persist.store[0] = v;
  f->nodes[0].acked[0] = (QuorumAcked) { .ts = 100, .ts_node = 0, .value = 5, .seq = 1 };
  f->nodes[0].n_acked = 1;
  cr_assert (quorum_check (ghost, states, up, f->ctx, 3, why), "%s", why->str);
  /* n2 forgets it (as a replica that acked before storing would). */
  memset (&f->nodes[1].persist.store[0], 0, sizeof (QuorumCell));
  memset (ghost->seen, 0, sizeof ghost->seen); /* look at no-lost-write alone */
  cr_expect_not (quorum_check (ghost, states, up, f->ctx, 3, why));
  cr_expect (strstr (why->str, "no-lost-write: c1's write of 5 to key 0") != NULL, "%s",
             why->str);
  cr_expect (strstr (why->str, "is now held by 1 (nodes: n1)") != NULL, "%s", why->str);
  g_free (ghost);
  fixture_free (f);
}

Test (quorum_check, a_dropped_sibling_is_caught)
{
  Fixture *f = fixture_new (3, NULL);
  f->cfg.conflict = QUORUM_CONFLICT_VV;
  QuorumGhost *ghost = g_new0 (QuorumGhost, 1);
  const void *states[3] = { &f->nodes[0], &f->nodes[1], &f->nodes[2] };
  gboolean up[3] = { TRUE, TRUE, TRUE };
  g_autoptr (GString) why = g_string_new (NULL);
  QuorumVV none = vv (0, 0, 0);
  QuorumCell *c = &f->nodes[2].persist.store[1];
  quorum_cell_add_write (c, 10, 0, 1, &none, NULL);
  quorum_cell_add_write (c, 20, 1, 1, &none, NULL);
  cr_assert (quorum_check (ghost, states, up, f->ctx, 3, why), "%s", why->str);
  /* A write that saw only 10 replaces 10, keeps 20: fine. */
  QuorumVV saw10 = vv (1, 0, 0);
  quorum_cell_add_write (c, 30, 2, 1, &saw10, NULL);
  cr_assert (quorum_check (ghost, states, up, f->ctx, 3, why), "%s", why->str);
  /* Losing 20 without a write that saw it is not. */
  QuorumCell only30;
  memset (&only30, 0, sizeof only30);
  quorum_cell_add_write (&only30, 30, 2, 1, &saw10, NULL);
  *c = only30;
  cr_expect_not (quorum_check (ghost, states, up, f->ctx, 3, why));
  cr_expect (g_str_has_prefix (why->str, "siblings-survive: n3 dropped sibling 20"), "%s",
             why->str);
  g_free (ghost);
  fixture_free (f);
}

/* A crash takes a node back to its disk: a sibling it held only in memory
 * goes with it, unjudged while the node is down; once it is up again it is
 * judged against what its disk gave back. */
Test (quorum_check, a_crash_may_undo_what_only_memory_held)
{
  Fixture *f = fixture_new (3, NULL);
  f->cfg.conflict = QUORUM_CONFLICT_VV;
  QuorumGhost *ghost = g_new0 (QuorumGhost, 1);
  const void *states[3] = { &f->nodes[0], &f->nodes[1], &f->nodes[2] };
  gboolean up[3] = { TRUE, TRUE, TRUE };
  g_autoptr (GString) why = g_string_new (NULL);
  QuorumVV none = vv (0, 0, 0);
  QuorumCell *c = &f->nodes[2].persist.store[1];
  quorum_cell_add_write (c, 10, 0, 1, &none, NULL);
  QuorumCell durable = *c;
  cr_assert (quorum_check (ghost, states, up, f->ctx, 3, why), "%s", why->str);
  quorum_cell_add_write (c, 20, 2, 1, &none, NULL); /* its sync still in flight */
  cr_assert (quorum_check (ghost, states, up, f->ctx, 3, why), "%s", why->str);
  /* The crash: n3 is down with what its disk holds. */
  *c = durable;
  up[2] = FALSE;
  cr_expect (quorum_check (ghost, states, up, f->ctx, 3, why), "%s", why->str);
  /* Up again and dropping 10, which its disk held, is caught. */
  up[2] = TRUE;
  cr_assert (quorum_check (ghost, states, up, f->ctx, 3, why), "%s", why->str);
  memset (c, 0, sizeof *c);
  quorum_cell_add_write (c, 30, 1, 1, &none, NULL);
  cr_expect_not (quorum_check (ghost, states, up, f->ctx, 3, why));
  cr_expect (g_str_has_prefix (why->str, "siblings-survive: n3 dropped sibling 10"), "%s",
             why->str);
  g_free (ghost);
  fixture_free (f);
}

static void
sloppy (QuorumConfig *cfg)
{
  cfg->sloppy = TRUE;
}

/* Sloppy quorum: replicas silent for `fallback` are replaced by the next
 * nodes on the ring, which get the write as a hint for the silent owner. */
Test (quorum_handlers, a_silent_replica_is_replaced_by_the_next_node_on_the_ring)
{
  Fixture *f = fixture_new (5, sloppy);
  int key = 0;
  const uint8_t *ring = f->nodes[0].ring[key];
  int coord = ring[0];
  QuorumClientRequest req;
  memset (&req, 0, sizeof req);
  req.type = QUORUM_MSG_CLIENT_REQUEST;
  req.kind = QUORUM_OP_WRITE;
  req.key = (uint8_t) key;
  req.seq = 1;
  req.value = 9;
  deliver (f, coord, 5, &req, sizeof req, 1000);
  cr_assert_eq (f->out.msgs->len, 2, "Puts to the two other replicas");
  int64_t deadline = f->out.deadline_us;
  cr_expect_eq (deadline, 1000 + f->cfg.fallback_us);
  /* Nobody answers: the timeout asks ring[3] and ring[4] to stand in. */
  proto_outbox_reset (&f->out);
  ProtoEvent ev = { .kind = PROTO_EV_TIMEOUT, .now_us = deadline };
  proto_quorum.step (&f->nodes[coord], &f->ctx[coord], &ev, &f->out);
  cr_assert_eq (f->out.msgs->len, 2);
  for (guint i = 0; i < 2; i++) {
    int to;
    size_t len;
    const QuorumPut *p = sent (f, i, &to, &len);
    cr_expect_eq (to, ring[3 + i], "fallback %u goes to the ring's next node", i);
    cr_expect_eq (p->hint_for, ring[1 + i], "as a hint for the silent owner");
  }
  fixture_free (f);
}

static void
flat_anti_entropy (QuorumConfig *cfg)
{
  cfg->merkle_depth = 0;
}

/* Flat anti-entropy (merkle_depth = 0): a peer pushes the keys whose
 * digests differ, and the sender pushes back its merge; both end equal. */
Test (quorum_handlers, anti_entropy_makes_two_replicas_equal)
{
  Fixture *f = fixture_new (3, flat_anti_entropy); /* n = 3: every node replicates every key */
  f->nodes[0].persist.store[1] = (QuorumCell) { .ts = 10, .value = 1, .has_value = 1 };
  f->nodes[1].persist.store[2] = (QuorumCell) { .ts = 20, .value = 2, .has_value = 1 };
  QuorumAeDigest d;
  memset (&d, 0, sizeof d);
  d.type = QUORUM_MSG_AE_DIGEST;
  for (int k = 0; k < QUORUM_MAX_KEYS; k++)
    d.digest[k] = quorum_cell_digest (&f->nodes[0].persist.store[k]);
  deliver (f, 1, 0, &d, sizeof d, 100);
  cr_assert_eq (f->out.msgs->len, 2, "n2 pushes keys 1 and 2, which differ");
  GPtrArray *pushes = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < f->out.msgs->len; i++) {
    int to;
    size_t len;
    const void *m = sent (f, i, &to, &len);
    g_ptr_array_add (pushes, g_memdup2 (m, len));
  }
  GPtrArray *back = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < pushes->len; i++) {
    deliver (f, 0, 1, pushes->pdata[i], sizeof (QuorumAePush), 110);
    for (guint j = 0; j < f->out.msgs->len; j++) {
      int to;
      size_t len;
      const void *m = sent (f, j, &to, &len);
      g_ptr_array_add (back, g_memdup2 (m, len));
    }
  }
  cr_expect_eq (back->len, 1, "n1 pushes back key 1, which n2 lacked");
  for (guint i = 0; i < back->len; i++)
    deliver (f, 1, 0, back->pdata[i], sizeof (QuorumAePush), 120);
  cr_expect_arr_eq (f->nodes[0].persist.store, f->nodes[1].persist.store,
                    sizeof f->nodes[0].persist.store);
  cr_expect_eq (f->nodes[1].persist.store[1].value, 1);
  cr_expect_eq (f->nodes[0].persist.store[2].value, 2);
  g_ptr_array_unref (pushes);
  g_ptr_array_unref (back);
  fixture_free (f);
}

/* What one anti-entropy exchange between two nodes cost. */
typedef struct {
  int msgs, trees, keys, digests, pushes;
  size_t bytes;
} AeCost;

/* Starts an exchange at node `from` and delivers every message it causes,
 * in order, until none is left. */
static AeCost
run_exchange (Fixture *f, int from)
{
  AeCost cost = { 0 };
  GQueue queue = G_QUEUE_INIT;
  proto_outbox_reset (&f->out);
  quorum_anti_entropy_start (&f->nodes[from], &f->ctx[from], &f->out);
  int sender = from;
  int64_t now = 1000;
  while (TRUE) {
    for (guint i = 0; i < f->out.msgs->len; i++) {
      int to;
      size_t len;
      const void *m = sent (f, i, &to, &len);
      int *item = g_malloc (sizeof (int) * 3 + len);
      item[0] = sender, item[1] = to, item[2] = (int) len;
      memcpy (item + 3, m, len);
      g_queue_push_tail (&queue, item);
      cost.msgs++;
      cost.bytes += len;
      uint8_t type = ((const uint8_t *) m)[0];
      cost.trees += type == QUORUM_MSG_AE_TREE;
      cost.keys += type == QUORUM_MSG_AE_KEYS;
      cost.digests += type == QUORUM_MSG_AE_DIGEST;
      cost.pushes += type == QUORUM_MSG_AE_PUSH;
    }
    int *item = g_queue_pop_head (&queue);
    if (item == NULL)
      break;
    sender = item[1];
    deliver (f, item[1], item[0], item + 3, (size_t) item[2], now++);
    g_free (item);
  }
  return cost;
}

static void
merkle_depth_4 (QuorumConfig *cfg)
{
  cfg->merkle_depth = 4;
}

/* Two replicas that hold all 16 keys and differ in one: the Merkle
 * exchange descends one level per message (the root, then a pair of
 * children per level), sends the digests of the one leaf that differs,
 * and only the differing key is pushed (and pushed back: n1 started the
 * exchange but holds the older version, so its push is answered with the
 * newer).  The flat exchange sends all 16 digests in one message.  Both
 * end with equal stores. */
Test (quorum_handlers, merkle_anti_entropy_converges_in_one_message_per_level)
{
  for (int flat = 0; flat < 2; flat++) {
    Fixture *f = fixture_new (2, flat ? flat_anti_entropy : merkle_depth_4);
    f->cfg.n = 2; /* both nodes replicate every key */
    for (int k = 0; k < QUORUM_MAX_KEYS; k++)
      for (int i = 0; i < 2; i++)
        f->nodes[i].persist.store[k] = (QuorumCell) { .ts = 10 + k, .value = k, .has_value = 1 };
    f->nodes[1].persist.store[7] = (QuorumCell) { .ts = 99, .value = 700, .has_value = 1 };
    AeCost cost = run_exchange (f, 0);
    cr_log_info ("%s: %d messages (%d tree, %d keys, %d digest, %d push), %zu bytes",
                 flat ? "flat" : "merkle depth 4", cost.msgs, cost.trees, cost.keys,
                 cost.digests, cost.pushes, cost.bytes);
    cr_expect_arr_eq (f->nodes[0].persist.store, f->nodes[1].persist.store,
                      sizeof f->nodes[0].persist.store, "converged");
    cr_expect_eq (f->nodes[0].persist.store[7].value, 700);
    if (flat) {
      cr_expect_eq (cost.digests, 1, "one message with a digest per key");
      cr_expect_eq (cost.trees + cost.keys, 0);
      cr_expect_eq (cost.pushes, 1, "the newer version, pushed once; nothing to push back");
    } else {
      cr_expect_eq (cost.digests, 0);
      cr_expect_eq (cost.trees, 1 + 4, "the root, then one pair of children per level");
      cr_expect_eq (cost.keys, 1, "the digests of one leaf");
      cr_expect_eq (cost.pushes, 2, "only the differing key, there and back");
    }
    fixture_free (f);
  }
}

/* Equal replicas: the roots agree, and one message ends the exchange. */
Test (quorum_handlers, merkle_anti_entropy_of_equal_replicas_is_one_message)
{
  Fixture *f = fixture_new (3, merkle_depth_4);
  for (int k = 0; k < QUORUM_MAX_KEYS; k++)
    for (int i = 0; i < 3; i++)
      f->nodes[i].persist.store[k] = (QuorumCell) { .ts = 10 + k, .value = k, .has_value = 1 };
  AeCost cost = run_exchange (f, 1);
  cr_expect_eq (cost.msgs, 1);
  cr_expect_eq (cost.trees, 1);
  fixture_free (f);
}

/* The tree itself, over 1,000 keys (more than a node holds; merkle.c is
 * pure): two key sets that differ in one key differ along one path only,
 * so the answers to the root and then to each pair of children name one
 * differing node per level, then the leaf that holds the key; a range
 * with no key hashes to 0. */
Test (quorum_merkle, one_differing_key_of_1000_is_found_along_one_path)
{
  enum { N = 1000 };
  QuorumMerkleLeaf *a = g_new (QuorumMerkleLeaf, N), *b = g_new (QuorumMerkleLeaf, N);
  for (int k = 0; k < N; k++) {
    a[k] = (QuorumMerkleLeaf) { quorum_ring_key_position (k), 1000 + (uint64_t) k, k, 0 };
    b[k] = a[k];
    if (k == 500)
      b[k].digest = 7;
  }
  quorum_merkle_sort (a, N);
  quorum_merkle_sort (b, N);
  for (int depth = 1; depth <= 16; depth++) {
    QuorumAeTree m;
    quorum_merkle_root (a, N, depth, &m);
    cr_assert_eq (m.hash[0], quorum_merkle_hash (a, N, depth, 0, 0));
    int messages = 1; /* the root */
    const QuorumMerkleLeaf *side[2] = { b, a }; /* who answers next */
    for (int turn = 0;; turn++) {
      QuorumMerkleAnswer ans;
      quorum_merkle_answer (side[turn % 2], N, depth, &m, &ans);
      if (ans.n_leaves > 0) {
        cr_assert_eq (ans.n_leaves, 1, "one leaf differs");
        cr_assert_eq (ans.n_trees, 0);
        gboolean has_500 = FALSE;
        for (int j = ans.leaf_lo[0]; j < ans.leaf_hi[0]; j++)
          has_500 |= side[turn % 2][j].key == 500;
        cr_assert (has_500, "the differing leaf holds the differing key");
        cr_assert_leq (ans.leaf_hi[0] - ans.leaf_lo[0], depth >= 12 ? 2 : N);
        break;
      }
      cr_assert_eq (ans.n_trees, 1, "depth %d, level %d: one differing node", depth, m.level);
      m = ans.trees[0];
      messages++;
      /* The answer carries the answering side's hashes of the two
       * children, and exactly one of them differs from the other side's. */
      const QuorumMerkleLeaf *me = side[turn % 2], *other = side[(turn + 1) % 2];
      int differ = 0;
      for (int j = 0; j < 2; j++) {
        cr_assert_eq (m.hash[j], quorum_merkle_hash (me, N, depth, m.level, m.first + (uint32_t) j));
        differ += m.hash[j] != quorum_merkle_hash (other, N, depth, m.level, m.first + (uint32_t) j);
      }
      cr_assert_eq (differ, 1);
    }
    cr_expect_eq (messages, 1 + depth, "depth %d: the root and one message per level", depth);
  }
  /* Empty ranges hash to 0; equal key sets have equal roots. */
  cr_expect_eq (quorum_merkle_hash (a, 0, 4, 0, 0), 0);
  cr_expect_eq (quorum_merkle_hash (a, N, 8, 0, 0), quorum_merkle_hash (a, N, 8, 0, 0));
  cr_expect_neq (quorum_merkle_hash (a, N, 8, 0, 0), quorum_merkle_hash (b, N, 8, 0, 0));
  g_free (a);
  g_free (b);
}

static void
owner (QuorumConfig *cfg)
{
  cfg->coordinator = QUORUM_COORD_OWNER;
}

/* coordinator = owner: the client asks the key's first replica, then walks
 * the ring on each retry. */
Test (quorum_client, owner_coordination_follows_the_ring)
{
  Fixture *f = fixture_new (5, owner);
  QuorumClient *c = g_new0 (QuorumClient, 1);
  ProtoCtx cctx = { .self = 5, .n_nodes = 5, .n_clients = 1, .seed = 3, .config = &f->cfg };
  ProtoOp op = { .f = PROTO_OP_READ, .key = 4, .client = 0, .seq = 1 };
  proto_outbox_reset (&f->out);
  ProtoEvent ev = { .kind = PROTO_EV_INVOKE, .op = &op };
  proto_quorum.client_step (c, &cctx, &ev, &f->out);
  int to;
  size_t len;
  sent (f, 0, &to, &len);
  cr_expect_eq (to, f->nodes[0].ring[4][0]);
  for (int retry = 1; retry <= 3; retry++) {
    proto_outbox_reset (&f->out);
    ProtoEvent r = { .kind = PROTO_EV_RETRY, .op = &op };
    proto_quorum.client_step (c, &cctx, &r, &f->out);
    sent (f, 0, &to, &len);
    cr_expect_eq (to, f->nodes[0].ring[4][retry], "retry %d", retry);
  }
  g_free (c);
  fixture_free (f);
}

/* A read reply with two siblings ends the client's operation with both,
 * sorted, and its context is what the next write carries. */
Test (quorum_client, siblings_end_the_read_and_the_next_write_carries_their_context)
{
  Fixture *f = fixture_new (3, NULL);
  f->cfg.conflict = QUORUM_CONFLICT_VV;
  QuorumClient *c = g_new0 (QuorumClient, 1);
  ProtoCtx cctx = { .self = 3, .n_nodes = 3, .n_clients = 1, .seed = 3, .config = &f->cfg };
  ProtoOp read = { .f = PROTO_OP_READ, .key = 0, .client = 0, .seq = 1 };
  proto_outbox_reset (&f->out);
  ProtoEvent ev = { .kind = PROTO_EV_INVOKE, .op = &read };
  proto_quorum.client_step (c, &cctx, &ev, &f->out);
  int to;
  size_t len;
  sent (f, 0, &to, &len);
  QuorumClientReply rep;
  memset (&rep, 0, sizeof rep);
  rep.type = QUORUM_MSG_CLIENT_REPLY;
  rep.seq = 1;
  rep.n_values = 2;
  rep.values[0] = 20;
  rep.values[1] = 10;
  rep.ctx = vv (1, 1, 0);
  proto_outbox_reset (&f->out);
  ProtoEvent in = { .kind = PROTO_EV_RECEIVE, .from = to, .msg = &rep, .msg_len = sizeof rep };
  proto_quorum.client_step (c, &cctx, &in, &f->out);
  cr_assert (f->out.has_result);
  cr_expect_eq (f->out.result.n_siblings, 2);
  cr_expect_eq (f->out.result.siblings[0], 10);
  cr_expect_eq (f->out.result.siblings[1], 20);
  ProtoOp write = { .f = PROTO_OP_WRITE, .key = 0, .value = 30, .client = 0, .seq = 2 };
  proto_outbox_reset (&f->out);
  ProtoEvent w = { .kind = PROTO_EV_INVOKE, .op = &write };
  proto_quorum.client_step (c, &cctx, &w, &f->out);
  const QuorumClientRequest *req = sent (f, 0, &to, &len);
  cr_expect_eq (req->kind, QUORUM_OP_WRITE, "a fresh context: no fetch first");
  cr_expect_eq (req->ctx.c[0], 1);
  cr_expect_eq (req->ctx.c[1], 1);
  g_free (c);
  fixture_free (f);
}

/* Garbled messages (wrong lengths, random bytes under every type) are
 * ignored or handled without a crash, by nodes and by client stubs. */
Test (quorum_handlers, garbled_messages_do_not_crash)
{
  static const size_t sizes[] = {
    0, 1, 7, sizeof (QuorumClientRequest), sizeof (QuorumClientReply), sizeof (QuorumPut),
    sizeof (QuorumPutAck), sizeof (QuorumGet), sizeof (QuorumGetReply), sizeof (QuorumHandoff),
    sizeof (QuorumHandoffAck), sizeof (QuorumAeDigest), sizeof (QuorumAePush),
    sizeof (QuorumAeTree), sizeof (QuorumAeKeys),
  };
  for (int mode = 0; mode < 3; mode++) {
    Fixture *f = fixture_new (5, NULL);
    f->cfg.conflict = mode == 1 ? QUORUM_CONFLICT_VV : QUORUM_CONFLICT_LWW;
    f->cfg.mode = mode == 2 ? QUORUM_MODE_ABD : QUORUM_MODE_DYNAMO;
    f->cfg.sloppy = TRUE;
    f->cfg.read_repair = TRUE;
    QuorumClient *c = g_new0 (QuorumClient, 1);
    ProtoCtx cctx = { .self = 5, .n_nodes = 5, .n_clients = 2, .seed = 3, .config = &f->cfg };
    ProtoOp op = { .f = PROTO_OP_READ, .key = 1, .client = 0, .seq = 1 };
    ProtoEvent inv = { .kind = PROTO_EV_INVOKE, .op = &op };
    proto_quorum.client_step (c, &cctx, &inv, &f->out);
    Pcg32 rng;
    pcg32_seed (&rng, 99, (uint64_t) mode);
    uint8_t buf[sizeof (QuorumHandoff) + 16];
    for (int i = 0; i < 3000; i++) {
      size_t len = sizes[pcg32_below (&rng, G_N_ELEMENTS (sizes))];
      for (size_t b = 0; b < len; b++)
        buf[b] = (uint8_t) pcg32_below (&rng, 256);
      if (len > 0)
        buf[0] = (uint8_t) (1 + pcg32_below (&rng, QUORUM_MSG_AE_KEYS));
      /* Small keys and node numbers now and then, so handlers get past
       * their first checks. */
      if (len > 4 && pcg32_chance (&rng, 0.7)) {
        buf[1] = (uint8_t) pcg32_below (&rng, QUORUM_MAX_KEYS);
        buf[2] = (uint8_t) pcg32_below (&rng, 5);
        buf[3] = (uint8_t) pcg32_below (&rng, 5);
      }
      int from = (int) pcg32_below (&rng, 7);
      int to = (int) pcg32_below (&rng, 5);
      deliver (f, to, from, buf, len, 1000 + i);
      proto_outbox_reset (&f->out);
      ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .from = to, .msg = buf, .msg_len = len };
      proto_quorum.client_step (c, &cctx, &ev, &f->out);
      if (i % 100 == 0) {
        proto_outbox_reset (&f->out);
        ProtoEvent t = { .kind = PROTO_EV_TIMEOUT, .now_us = 1000 + i + 50000 };
        proto_quorum.step (&f->nodes[to], &f->ctx[to], &t, &f->out);
      }
    }
    g_free (c);
    fixture_free (f);
  }
}
