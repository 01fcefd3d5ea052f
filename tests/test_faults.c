/* test_faults.c: what each fault does, one test per kind: durable images
 * and syncs, disk latency, torn writes, corruption of a durable image,
 * corruption in flight, clocks that drift from the moment they are set,
 * absolute skew, clients' clocks, and random fault ends that undo their own
 * fault only.
 *
 * The test protocol `dk` is small on purpose: a node's persist region is
 * four disk sectors of 64-bit words; on each tick it writes the tick number
 * into every word, syncs every `sync_every` ticks, and (with `send`) tells
 * every other node the tick.  Its client stub sends each operation to n1,
 * which never answers. */
#include <criterion/criterion.h>

#include <string.h>

#include "sim/world.h"

#define DK_WORDS 256 /* 2048 bytes: four 512-byte sectors */
#define DK_SECTOR_WORDS 64

typedef struct {
  int64_t tick_us;
  int64_t sync_every; /* 0: never sync */
  gboolean send;
} DkConfig;

typedef struct {
  uint64_t words[DK_WORDS];
} DkPersist;

typedef struct {
  DkPersist persist;
  uint64_t ticks;                  /* since the last start */
  uint64_t recv[PROTO_MAX_NODES];  /* messages received per sender */
} DkNode;

typedef struct {
  uint64_t tick;
} DkMsg;

static const ProtoKnob dk_knobs[] = {
  { "tick", PROTO_KNOB_DURATION, offsetof (DkConfig, tick_us), "10ms", 0, 10000000, NULL, "" },
  { "sync_every", PROTO_KNOB_INT, offsetof (DkConfig, sync_every), "1", 0, 1000, NULL, "" },
  { "send", PROTO_KNOB_BOOL, offsetof (DkConfig, send), "false", 0, 0, NULL, "" },
  { NULL },
};

static void
dk_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  DkNode *n = state;
  const DkConfig *cfg = ctx->config;
  switch (ev->kind) {
  case PROTO_EV_START:
    proto_outbox_set_deadline (out, ev->now_us + cfg->tick_us);
    break;
  case PROTO_EV_TIMEOUT: {
    n->ticks++;
    /* The first persisted word says which tick wrote the image last. */
    uint64_t v = n->persist.words[0] + 1;
    for (int i = 0; i < DK_WORDS; i++)
      n->persist.words[i] = v;
    if (cfg->sync_every > 0 && v % (uint64_t) cfg->sync_every == 0)
      proto_outbox_sync (out);
    if (cfg->send)
      for (int i = 0; i < ctx->n_nodes; i++)
        if (i != ctx->self) {
          DkMsg m = { .tick = v };
          proto_outbox_send (out, i, &m, sizeof m);
        }
    proto_outbox_set_deadline (out, ev->now_us + cfg->tick_us);
    break;
  }
  case PROTO_EV_RECEIVE:
    if (ev->from < ctx->n_nodes)
      n->recv[ev->from]++;
    break;
  default:
    break;
  }
}

static void
dk_client_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  if (ev->kind == PROTO_EV_INVOKE || ev->kind == PROTO_EV_RETRY) {
    DkMsg m = { .tick = 0 };
    proto_outbox_send (out, 0, &m, sizeof m);
  }
}

static const ProtoVTable dk_vt = {
  .name = "dk",
  .summary = "test protocol: a persist region of four sectors",
  .knobs = dk_knobs,
  .config_size = sizeof (DkConfig),
  .ops_supported = (1u << PROTO_OP_READ) | (1u << PROTO_OP_WRITE),
  .min_nodes = 1,
  .max_nodes = PROTO_MAX_NODES,
  .state_size = sizeof (DkNode),
  .persist_offset = offsetof (DkNode, persist),
  .persist_size = sizeof (DkPersist),
  .step = dk_step,
  .client_state_size = sizeof (uint64_t),
  .client_step = dk_client_step,
};

/* ---- Helpers -------------------------------------------------------------*/

static SimConfig *
dk_config (int n_nodes, const char *sync_every, gboolean send)
{
  SimConfig *cfg = sim_config_new (&dk_vt);
  cfg->n_nodes = n_nodes;
  cfg->duration_us = 2 * G_USEC_PER_SEC;
  cfg->net.latency_min_us = cfg->net.latency_max_us = 1000;
  cr_assert (proto_config_set (&dk_vt, cfg->proto_config, "sync_every", sync_every, NULL));
  cr_assert (proto_config_set (&dk_vt, cfg->proto_config, "send", send ? "true" : "false",
                               NULL));
  return cfg;
}

static SimFault
fault_at (int64_t at_us, SimFaultKind kind, int node)
{
  SimFault f;
  memset (&f, 0, sizeof f);
  memset (f.group, -1, sizeof f.group);
  f.at_us = at_us;
  f.kind = kind;
  f.node = node;
  f.from = f.to = -1;
  f.bits = 1;
  return f;
}

static void
add_fault (SimConfig *cfg, SimFault f)
{
  guint at = cfg->faults->len;
  while (at > 0 && g_array_index (cfg->faults, SimFault, at - 1).at_us > f.at_us)
    at--;
  g_array_insert_val (cfg->faults, at, f);
}

static void
run_until (SimWorld *w, int64_t t)
{
  SimChoice c;
  while (sim_world_next_choice (w, &c) && c.time_us <= t)
    sim_world_step (w);
}

static const DkNode *
dk_node (const SimWorld *w, int n)
{
  return sim_world_node_state (w, n);
}

/* The value of every word of sector s; -1 if the sector's words differ. */
static int64_t
sector_value (const DkPersist *p, int s)
{
  uint64_t v = p->words[s * DK_SECTOR_WORDS];
  for (int i = 1; i < DK_SECTOR_WORDS; i++)
    if (p->words[s * DK_SECTOR_WORDS + i] != v)
      return -1;
  return (int64_t) v;
}

static int
bits_differing (const void *a, const void *b, size_t len)
{
  const uint8_t *x = a, *y = b;
  int n = 0;
  for (size_t i = 0; i < len; i++)
    n += __builtin_popcount ((unsigned) (x[i] ^ y[i]));
  return n;
}

/* ---- Durable images and syncs -------------------------------------------*/

/* Ticks at 10, 20, ... 100ms write 1..10; every third is synced.  A crash
 * at 105ms brings the node back with what tick 9 synced. */
Test (faults, crash_restarts_from_the_last_synced_image)
{
  g_autoptr (SimConfig) cfg = dk_config (1, "3", FALSE);
  add_fault (cfg, fault_at (105000, SIM_FAULT_CRASH, 0));
  add_fault (cfg, fault_at (200000, SIM_FAULT_RESTART, 0));
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  run_until (w, 104000);
  cr_assert_eq (dk_node (w, 0)->persist.words[0], 10u);
  cr_assert_eq (((const DkPersist *) sim_world_node_image (w, 0))->words[0], 9u,
                "the image holds the last synced tick");
  run_until (w, 105000);
  cr_expect_not (sim_world_node_is_up (w, 0));
  for (int s = 0; s < 4; s++)
    cr_expect_eq (sector_value (&dk_node (w, 0)->persist, s), 9, "sector %d after the crash", s);
  cr_expect_eq (sim_world_stats (w)->unsynced_crashes, 1u);
  cr_expect_eq (sim_world_stats (w)->torn_writes, 0u);
  run_until (w, 230000);
  cr_expect (sim_world_node_is_up (w, 0));
  cr_expect_eq (dk_node (w, 0)->persist.words[0], 12u, "9, then two ticks after the restart");

  /* Syncing every step: nothing is lost. */
  g_autoptr (SimConfig) every = dk_config (1, "1", FALSE);
  add_fault (every, fault_at (105000, SIM_FAULT_CRASH, 0));
  g_autoptr (SimWorld) w2 = sim_world_new (every, 1);
  run_until (w2, 105000);
  cr_expect_eq (dk_node (w2, 0)->persist.words[0], 10u);
  cr_expect_eq (sim_world_stats (w2)->unsynced_crashes, 0u);

  /* Never syncing: the node comes back empty. */
  g_autoptr (SimConfig) never = dk_config (1, "0", FALSE);
  add_fault (never, fault_at (105000, SIM_FAULT_CRASH, 0));
  g_autoptr (SimWorld) w3 = sim_world_new (never, 1);
  run_until (w3, 105000);
  cr_expect_eq (dk_node (w3, 0)->persist.words[0], 0u);
}

/* A sync takes disk_latency; the step's messages leave when it is done.  A
 * crash during a sync loses the write and the messages waiting on it. */
Test (faults, disk_latency_holds_messages_until_the_sync)
{
  g_autoptr (SimConfig) cfg = dk_config (2, "1", TRUE);
  cfg->storage.disk_latency_min_us = cfg->storage.disk_latency_max_us = 4000;
  add_fault (cfg, fault_at (22000, SIM_FAULT_CRASH, 0));
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  /* n1 ticks at 10ms: durable at 14ms, then 1ms on the wire. */
  run_until (w, 14999);
  cr_expect_eq (dk_node (w, 1)->recv[0], 0u, "the message waits for the sync");
  cr_expect_eq (((const DkPersist *) sim_world_node_image (w, 0))->words[0], 1u,
                "sync of tick 1 done at 14ms");
  run_until (w, 15000);
  cr_expect_eq (dk_node (w, 1)->recv[0], 1u);
  cr_expect_eq (dk_node (w, 0)->recv[1], 1u, "n2's tick-1 message left after its own sync");
  /* Tick 2 at 20ms syncs until 24ms; n1 crashes at 22ms. */
  run_until (w, 40000);
  cr_expect_eq (dk_node (w, 1)->recv[0], 1u, "tick 2's message was never sent");
  cr_expect_eq (dk_node (w, 0)->persist.words[0], 1u, "tick 2's write never reached the disk");
  cr_expect_eq (sim_world_stats (w)->unsynced_crashes, 1u);
}

/* A node paused while its sync completes sends the waiting messages when
 * it resumes, not before. */
Test (faults, paused_node_sends_after_it_resumes)
{
  g_autoptr (SimConfig) cfg = dk_config (2, "1", TRUE);
  cfg->storage.disk_latency_min_us = cfg->storage.disk_latency_max_us = 4000;
  SimFault pause = fault_at (12000, SIM_FAULT_PAUSE, 0);
  SimFault resume = fault_at (22000, SIM_FAULT_RESUME, 0);
  add_fault (cfg, pause);
  add_fault (cfg, resume);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  run_until (w, 22999);
  cr_expect_eq (((const DkPersist *) sim_world_node_image (w, 0))->words[0], 1u,
                "the disk finished at 14ms");
  cr_expect_eq (dk_node (w, 1)->recv[0], 0u, "but the paused node sent nothing");
  run_until (w, 23000);
  cr_expect_eq (dk_node (w, 1)->recv[0], 1u, "sent at 22ms, arrived 1ms later");
}

/* Ticks 1..3 at 10..30ms; tick 2 is synced, tick 3 is not.  With
 * torn_writes = 1 a crash at 35ms leaves each sector with tick 2's bytes or
 * tick 3's, independently: over seeds, both, and mixes. */
Test (faults, torn_write_mixes_old_and_new_sectors)
{
  g_autoptr (SimConfig) cfg = dk_config (1, "2", FALSE);
  cfg->storage.torn_writes = 1.0;
  add_fault (cfg, fault_at (35000, SIM_FAULT_CRASH, 0));
  gboolean seen_old[4] = { FALSE }, seen_new[4] = { FALSE };
  int mixed = 0;
  for (uint64_t seed = 1; seed <= 40; seed++) {
    g_autoptr (SimWorld) w = sim_world_new (cfg, seed);
    run_until (w, 35000);
    cr_assert_not (sim_world_node_is_up (w, 0));
    const DkPersist *p = &dk_node (w, 0)->persist;
    int n_new = 0;
    for (int s = 0; s < 4; s++) {
      int64_t v = sector_value (p, s);
      cr_assert (v == 2 || v == 3, "seed %" G_GUINT64_FORMAT " sector %d holds %" G_GINT64_FORMAT,
                 seed, s, v);
      seen_old[s] |= v == 2;
      seen_new[s] |= v == 3;
      n_new += v == 3;
    }
    mixed += n_new > 0 && n_new < 4;
    cr_assert_eq (sim_world_stats (w)->torn_writes, 1u);
    cr_assert_eq (memcmp (p, sim_world_node_image (w, 0), sizeof *p), 0,
                  "the node reads back what the disk holds");
  }
  for (int s = 0; s < 4; s++)
    cr_expect (seen_old[s] && seen_new[s], "sector %d was always the same", s);
  cr_expect_gt (mixed, 20, "only %d of 40 crashes left a mix", mixed);

  /* Without torn writes the unsynced tick is lost whole. */
  cfg->storage.torn_writes = 0.0;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  run_until (w, 35000);
  for (int s = 0; s < 4; s++)
    cr_expect_eq (sector_value (&dk_node (w, 0)->persist, s), 2);
}

/* A scheduled corruption flips one bit of the image, in a written sector;
 * the node reads it back at its next restart.  Before anything is written
 * there is nothing to flip. */
Test (faults, corruption_flips_a_bit_of_the_durable_image)
{
  g_autoptr (SimConfig) cfg = dk_config (1, "1", FALSE);
  add_fault (cfg, fault_at (5000, SIM_FAULT_CORRUPT, 0));
  add_fault (cfg, fault_at (55000, SIM_FAULT_CORRUPT, 0));
  add_fault (cfg, fault_at (56000, SIM_FAULT_CRASH, 0));
  g_autoptr (SimWorld) w = sim_world_new (cfg, 3);
  DkPersist zero, before;
  memset (&zero, 0, sizeof zero);
  run_until (w, 5000);
  cr_expect_eq (memcmp (sim_world_node_image (w, 0), &zero, sizeof zero), 0,
                "nothing written: nothing flipped");
  cr_expect_eq (sim_world_stats (w)->corruptions, 0u);
  run_until (w, 54000);
  memcpy (&before, sim_world_node_image (w, 0), sizeof before);
  cr_expect_eq (memcmp (&before, &dk_node (w, 0)->persist, sizeof before), 0);
  run_until (w, 55000);
  cr_expect_eq (bits_differing (&before, sim_world_node_image (w, 0), sizeof before), 1);
  cr_expect_eq (dk_node (w, 0)->persist.words[0] == 5 ? 0 : 1, 0,
                "the running node does not see it");
  cr_expect_eq (sim_world_stats (w)->corruptions, 1u);
  run_until (w, 56000);
  cr_expect_eq (bits_differing (&before, &dk_node (w, 0)->persist, sizeof before), 1,
                "after the crash the node holds the flipped bit");
}

/* A corrupted message fails the receiver's checksum and is lost. */
Test (faults, corrupt_message_is_caught_and_lost)
{
  g_autoptr (SimConfig) cfg = dk_config (2, "1", TRUE);
  cfg->duration_us = 500000;
  cfg->net.corrupt = 1.0;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  sim_world_run (w);
  const SimStats *st = sim_world_stats (w);
  cr_expect_gt (st->msgs_sent, 90u);
  cr_expect_eq (st->msgs_delivered, 0u);
  cr_expect_eq (st->msgs_corrupted + sim_world_in_flight (w), st->msgs_sent);
  cr_expect_eq (dk_node (w, 1)->recv[0], 0u);

  cfg->net.corrupt = 0.3;
  g_autoptr (SimWorld) half = sim_world_new (cfg, 1);
  sim_world_run (half);
  st = sim_world_stats (half);
  cr_expect (st->msgs_corrupted > st->msgs_sent / 5 && st->msgs_corrupted < st->msgs_sent / 2,
             "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " corrupted", st->msgs_corrupted,
             st->msgs_sent);
  cr_expect_eq (st->msgs_delivered + st->msgs_corrupted + sim_world_in_flight (half),
                st->msgs_sent);
}

/* ---- Clocks --------------------------------------------------------------*/

/* Drift accumulates from the moment it is set: no jump then. */
Test (faults, drift_accumulates_from_when_it_is_set)
{
  g_autoptr (SimConfig) cfg = dk_config (2, "1", FALSE);
  cfg->duration_us = 4 * G_USEC_PER_SEC;
  SimFault f = fault_at (2 * G_USEC_PER_SEC, SIM_FAULT_SKEW, 1);
  f.drift_ppm = 500000;
  add_fault (cfg, f);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  run_until (w, 2 * G_USEC_PER_SEC);
  cr_expect_eq (sim_world_node_local_time (w, 1), 2 * G_USEC_PER_SEC, "no jump when set");
  run_until (w, 3 * G_USEC_PER_SEC);
  cr_expect_eq (sim_world_node_local_time (w, 1), 3500000, "half a second gained in one");
  cr_expect_eq (sim_world_node_local_time (w, 0), 3 * G_USEC_PER_SEC);
  /* Its deadlines follow its clock: 10ms ticks come every 6.67ms. */
  uint64_t ticks_before = dk_node (w, 1)->ticks;
  run_until (w, 3 * G_USEC_PER_SEC + 100000);
  cr_expect_eq (dk_node (w, 1)->ticks - ticks_before, 15u);
}

/* Skew is absolute: it sets the clock's offset from true time, whatever
 * the clock read before, and replaces the drift. */
Test (faults, skew_is_absolute)
{
  g_autoptr (SimConfig) cfg = dk_config (1, "1", FALSE);
  cfg->duration_us = 4 * G_USEC_PER_SEC;
  SimFault a = fault_at (1 * G_USEC_PER_SEC, SIM_FAULT_SKEW, 0);
  a.skew_us = 100000;
  a.drift_ppm = 100000;
  SimFault b = fault_at (2 * G_USEC_PER_SEC, SIM_FAULT_SKEW, 0);
  b.skew_us = 50000;
  add_fault (cfg, a);
  add_fault (cfg, b);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  run_until (w, 1 * G_USEC_PER_SEC);
  cr_expect_eq (sim_world_node_local_time (w, 0), 1100000);
  run_until (w, 2 * G_USEC_PER_SEC - 1);
  int64_t now = sim_world_stats (w)->now_us;
  cr_assert_gt (now, 1900000);
  cr_expect_eq (sim_world_node_local_time (w, 0), now + 100000 + (now - 1000000) / 10);
  run_until (w, 2 * G_USEC_PER_SEC);
  cr_expect_eq (sim_world_node_local_time (w, 0), 2050000, "+50ms from true time, not more");
  run_until (w, 3 * G_USEC_PER_SEC);
  now = sim_world_stats (w)->now_us;
  cr_expect_eq (sim_world_node_local_time (w, 0) - now, 50000, "no drift after the second skew");
}

/* A client's timeouts run on its own clock: at twice the speed, a 1s
 * operation timeout ends the operation after half a second. */
Test (faults, client_clock_drift_stretches_its_timeouts)
{
  g_autoptr (SimConfig) cfg = dk_config (1, "1", FALSE);
  cfg->workload.n_clients = 2;
  cfg->workload.ops = 2;
  cfg->workload.max_retries = 0;
  cfg->workload.op_timeout_us = G_USEC_PER_SEC;
  cfg->workload.think_us = 0;
  SimFault f = fault_at (0, SIM_FAULT_SKEW, 1 + 0); /* c1 is endpoint n_nodes + 0 = 1 */
  f.drift_ppm = 1000000;
  add_fault (cfg, f);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  sim_world_run (w);
  const ChkHistory *h = sim_world_history (w);
  int64_t invoked[2] = { -1, -1 };
  int checked = 0;
  for (guint i = 0; i < chk_history_len (h); i++) {
    ChkEvent e_ev = chk_history_event (h, i);
    const ChkEvent *e = &e_ev;
    cr_assert (e->process == 0 || e->process == 1);
    if (e->type == CHK_INVOKE) {
      invoked[e->process] = e->time_us;
      continue;
    }
    cr_expect_eq (e->type, CHK_INFO);
    int64_t waited = e->time_us - invoked[e->process];
    cr_expect_eq (waited, e->process == 0 ? 500000 : 1000000, "client %d waited %" G_GINT64_FORMAT,
                  (int) e->process + 1, waited);
    checked++;
  }
  cr_expect_eq (checked, 2);
  cr_expect_eq (sim_world_endpoint_local_time (w, 1) - sim_world_stats (w)->now_us,
                sim_world_stats (w)->now_us, "c1's clock ran twice as fast from 0");
}

/* ---- Random fault ends ---------------------------------------------------*/

/* Random partitions come and go every few milliseconds; their ends must
 * not heal the scheduled partition n1 | n2 n3 (100ms to 1s). */
Test (faults, random_partition_end_keeps_the_scheduled_one)
{
  g_autoptr (SimConfig) cfg = dk_config (3, "1", TRUE);
  SimFault part = fault_at (100000, SIM_FAULT_PARTITION, -1);
  part.group[0] = 0;
  part.group[1] = part.group[2] = 1;
  add_fault (cfg, part);
  add_fault (cfg, fault_at (G_USEC_PER_SEC, SIM_FAULT_HEAL, -1));
  cfg->random_faults.partition_per_s = 20;
  cfg->random_faults.partition_us = 20000;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  run_until (w, 150000);
  uint64_t from_n1 = dk_node (w, 1)->recv[0] + dk_node (w, 2)->recv[0];
  run_until (w, 999000);
  cr_expect_eq (dk_node (w, 1)->recv[0] + dk_node (w, 2)->recv[0], from_n1,
                "a message crossed the scheduled partition");
  cr_expect_gt (dk_node (w, 2)->recv[1], 40u, "n2 and n3 still talk between random partitions");
  run_until (w, 2 * G_USEC_PER_SEC);
  cr_expect_gt (dk_node (w, 1)->recv[0] + dk_node (w, 2)->recv[0], from_n1 + 20);
}

/* A random crash's restart is queued for crash_for later; if the node was
 * restarted and crashed again meanwhile, that later crash is another fault
 * and the queued restart does not end it. */
Test (faults, random_restart_does_not_end_a_later_crash)
{
  g_autoptr (SimConfig) cfg = dk_config (1, "1", FALSE);
  cfg->duration_us = 5 * G_USEC_PER_SEC;
  cfg->random_faults.crash_per_s = 2;
  cfg->random_faults.crash_down_us = 300000;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  while (sim_world_node_is_up (w, 0) || sim_world_stats (w)->crashes == 0)
    cr_assert (sim_world_step (w));
  int64_t t0 = sim_world_stats (w)->now_us;
  SimFault restart = fault_at (0, SIM_FAULT_RESTART, 0);
  SimFault crash = fault_at (0, SIM_FAULT_CRASH, 0);
  run_until (w, t0 + 100000);
  SimChoice c = { .kind = SIM_CHOICE_INJECT, .endpoint = -1, .fault = &restart };
  cr_assert (sim_world_apply (w, &c));
  cr_assert (sim_world_node_is_up (w, 0));
  run_until (w, t0 + 150000);
  c.fault = &crash;
  cr_assert (sim_world_apply (w, &c));
  cr_assert_not (sim_world_node_is_up (w, 0));
  run_until (w, t0 + 400000);
  cr_expect_not (sim_world_node_is_up (w, 0), "the first crash's restart ended the second crash");
  cr_expect_eq (sim_world_stats (w)->restarts, 1u);
}

/* ---- Clones --------------------------------------------------------------*/

/* A world cloned while syncs are in flight, messages wait on them and an
 * image is torn or corrupted goes on exactly as the original. */
Test (faults, clone_with_syncs_in_flight_runs_the_same)
{
  g_autoptr (SimConfig) cfg = dk_config (3, "2", TRUE);
  cfg->storage.disk_latency_min_us = 1000;
  cfg->storage.disk_latency_max_us = 9000;
  cfg->storage.torn_writes = 0.5;
  cfg->random_faults.crash_per_s = 5;
  cfg->random_faults.crash_down_us = 50000;
  cfg->random_faults.corrupt_per_s = 5;
  cfg->net.corrupt = 0.1;
  g_autoptr (SimWorld) a = sim_world_new (cfg, 7);
  run_until (a, 700003);
  g_autoptr (SimWorld) b = sim_world_clone (a);
  cr_assert_eq (sim_world_digest (a), sim_world_digest (b));
  sim_world_run (a);
  sim_world_run (b);
  cr_expect_eq (sim_world_digest (a), sim_world_digest (b));
  cr_expect_eq (memcmp (sim_world_stats (a), sim_world_stats (b), sizeof (SimStats)), 0);
  cr_expect_gt (sim_world_stats (a)->unsynced_crashes, 0u);
  cr_expect_gt (sim_world_stats (a)->corruptions, 0u);
  for (int n = 0; n < 3; n++)
    cr_expect_eq (memcmp (sim_world_node_image (a, n), sim_world_node_image (b, n),
                          sizeof (DkPersist)), 0);
}

/* The same for a random pause: its resume does not end a later pause. */
Test (faults, random_resume_does_not_end_a_later_pause)
{
  g_autoptr (SimConfig) cfg = dk_config (1, "1", FALSE);
  cfg->duration_us = 5 * G_USEC_PER_SEC;
  cfg->random_faults.pause_per_s = 2;
  cfg->random_faults.pause_us = 300000;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  while (!sim_world_node_is_paused (w, 0))
    cr_assert (sim_world_step (w));
  int64_t t0 = sim_world_stats (w)->now_us;
  SimFault resume = fault_at (0, SIM_FAULT_RESUME, 0);
  SimFault pause = fault_at (0, SIM_FAULT_PAUSE, 0);
  run_until (w, t0 + 100000);
  SimChoice c = { .kind = SIM_CHOICE_INJECT, .endpoint = -1, .fault = &resume };
  cr_assert (sim_world_apply (w, &c));
  cr_assert_not (sim_world_node_is_paused (w, 0));
  run_until (w, t0 + 150000);
  c.fault = &pause;
  cr_assert (sim_world_apply (w, &c));
  run_until (w, t0 + 400000);
  cr_expect (sim_world_node_is_paused (w, 0), "the first pause's resume ended the second pause");
}
