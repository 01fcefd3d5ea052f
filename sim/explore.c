/* explore.c: the search of `dsim explore` (see explore.h).
 *
 * Breadth first, level by level.  Every distinct state is kept as a record
 * of 8 bytes (in a temporary file once there are many), its parent's
 * number and the index of the choice that first reached it among the
 * parent's enabled choices, not as a world: a world of 3-node Raft is well
 * over a hundred kilobytes; and as its fingerprint in a sorted array (see
 * "Breadth first" below for how the two are kept).  To expand a
 * state its world is rebuilt by replaying its path, from the deepest
 * ancestor still cached: states are numbered in breadth-first order, so the
 * states of one level come in the order of their parents and each worker
 * keeps the chain of worlds of the last path it rebuilt (one world per
 * depth).  A world is rebuilt, and a child made, by assigning its parent
 * over the world already in the slot (sim_world_assign), copying only the
 * node states the steps since touched; disks are shared copy-on-write and
 * the nodes' digest words carried from parent to child, so a state costs
 * about one node's copy, one step and one digest.
 *
 * Threads split each round of a level (BFS_CHUNK states per worker) into
 * contiguous slices.  A worker only reads the visited set (to skip children
 * already seen) and writes its own list of children; the main thread then
 * hands the lists in slice order to the level's sort, and at the end of
 * the level the new states are numbered by (parent, choice index), so
 * which states are new, their numbers and the reported counterexample do
 * not depend on the number of threads or on how the sort spilled. */
#include "sim/explore.h"
#include "sim/world_internal.h"
#include "checkers/check.h"
#include "protocols/mix64.h"
#include "sim/explore_store.h"

#include <math.h>
#include <string.h>

/* ---- Fingerprints and the visited set -------------------------------------*/

typedef struct {
  uint64_t lo, hi; /* hi is 0 with 64-bit fingerprints */
} Fp;

static inline uint64_t
hash_add (uint64_t h, uint64_t v)
{
  return mix64 (h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

/* Open addressing over fingerprints with Robin Hood linear probing
 * (Celis, "Robin Hood Hashing", 1986): a fingerprint that has come further
 * from its home slot takes the place of one that has come less far, so the
 * distances stay short and even, and a lookup stops as soon as it meets a
 * fingerprint nearer its home than the one sought would be.  That keeps
 * lookups cheap up to nine tenths full, so the table grows by a quarter
 * only then (between 72% and 90% full: about 10 bytes a state with 64-bit
 * fingerprints).  The capacity is not a power of two: a fingerprint's home
 * slot is its hash scaled to the capacity.  A zero word marks a free slot
 * (a fingerprint whose first word is 0 is stored as 1).  With a depth
 * array (iterative deepening) it remembers the shallowest depth each was
 * seen at. */
typedef struct {
  uint64_t *slots;  /* cap * words */
  uint16_t *depth;  /* cap, or NULL */
  uint64_t cap, n;
  int words;        /* 1 or 2 */
} FpSet;

static void
fpset_init (FpSet *s, int words, gboolean with_depth)
{
  s->cap = 1 << 16;
  s->n = 0;
  s->words = words;
  s->slots = g_new0 (uint64_t, s->cap * (uint64_t) words);
  s->depth = with_depth ? g_new0 (uint16_t, s->cap) : NULL;
}

static void
fpset_clear (FpSet *s)
{
  g_free (s->slots);
  g_free (s->depth);
  memset (s, 0, sizeof *s);
}

static uint64_t
fpset_bytes (const FpSet *s)
{
  return s->cap * (uint64_t) s->words * 8 + (s->depth != NULL ? s->cap * 2 : 0);
}

static inline Fp
fp_norm (Fp f)
{
  if (f.lo == 0)
    f.lo = 1;
  return f;
}

static inline uint64_t
fpset_home (const FpSet *s, uint64_t lo, uint64_t hi)
{
  return (uint64_t) (((unsigned __int128) mix64 (lo ^ hi) * s->cap) >> 64);
}

/* How far the fingerprint in (occupied) slot i is from its home. */
static inline uint64_t
fpset_distance (const FpSet *s, uint64_t i)
{
  const uint64_t *slot = s->slots + i * (uint64_t) s->words;
  uint64_t home = fpset_home (s, slot[0], s->words == 2 ? slot[1] : 0);
  return i >= home ? i - home : i + s->cap - home;
}

/* The slot holding f (normalised), or UINT64_MAX. */
static inline uint64_t
fpset_find (const FpSet *s, Fp f)
{
  uint64_t i = fpset_home (s, f.lo, f.hi);
  for (uint64_t d = 0;; d++) {
    const uint64_t *slot = s->slots + i * (uint64_t) s->words;
    if (slot[0] == 0)
      return UINT64_MAX;
    if (slot[0] == f.lo && (s->words == 1 || slot[1] == f.hi))
      return i;
    if (fpset_distance (s, i) < d)
      return UINT64_MAX;
    i = i + 1 == s->cap ? 0 : i + 1;
  }
}

/* Puts f (normalised, not in the set) in, moving aside fingerprints nearer
 * their homes. */
static void
fpset_place (FpSet *s, Fp f, uint16_t depth)
{
  uint64_t i = fpset_home (s, f.lo, f.hi), d = 0;
  for (;;) {
    uint64_t *slot = s->slots + i * (uint64_t) s->words;
    if (slot[0] == 0) {
      slot[0] = f.lo;
      if (s->words == 2)
        slot[1] = f.hi;
      if (s->depth != NULL)
        s->depth[i] = depth;
      s->n++;
      return;
    }
    uint64_t sd = fpset_distance (s, i);
    if (sd < d) {
      Fp g = { slot[0], s->words == 2 ? slot[1] : 0 };
      slot[0] = f.lo;
      if (s->words == 2)
        slot[1] = f.hi;
      f = g;
      if (s->depth != NULL) {
        uint16_t e = s->depth[i];
        s->depth[i] = depth;
        depth = e;
      }
      d = sd;
    }
    i = i + 1 == s->cap ? 0 : i + 1;
    d++;
  }
}

static void
fpset_grow (FpSet *s)
{
  FpSet old = *s;
  s->cap += s->cap / 4;
  s->n = 0;
  s->slots = g_new0 (uint64_t, s->cap * (uint64_t) s->words);
  s->depth = old.depth != NULL ? g_new0 (uint16_t, s->cap) : NULL;
  for (uint64_t i = 0; i < old.cap; i++) {
    const uint64_t *slot = old.slots + i * (uint64_t) old.words;
    if (slot[0] == 0)
      continue;
    Fp f = { slot[0], old.words == 2 ? slot[1] : 0 };
    fpset_place (s, f, old.depth != NULL ? old.depth[i] : 0);
  }
  g_free (old.slots);
  g_free (old.depth);
}

/* Adds f; TRUE if it was not there.  With depths: also TRUE (and the depth
 * lowered) if it was there at a greater depth. */
static gboolean
fpset_add (FpSet *s, Fp f, int depth)
{
  f = fp_norm (f);
  uint64_t i = fpset_find (s, f);
  if (i != UINT64_MAX) {
    if (s->depth == NULL || s->depth[i] <= depth)
      return FALSE;
    s->depth[i] = (uint16_t) depth;
    return TRUE;
  }
  if ((s->n + 1) * 10 > s->cap * 9)
    fpset_grow (s);
  fpset_place (s, f, (uint16_t) depth);
  return TRUE;
}

double
sim_explore_missed_probability (uint64_t distinct, uint64_t generated, int bits)
{
  if (generated <= distinct)
    return 0;
  return (double) distinct * (double) (generated - distinct) / ldexp (1.0, bits);
}

/* ---- The explorer ---------------------------------------------------------*/

/* One distinct state: its parent and which of the parent's enabled
 * choices (choices_enabled, in its order) first reached it.  The choice
 * itself is found again by listing the parent's choices when the state's
 * world is rebuilt: 8 bytes a state. */
typedef struct {
  uint32_t parent;
  uint32_t index;
} Rec;

/* Budgets used on the way to a state (part of its identity). */
typedef struct {
  uint16_t drops, duplicates, crashes, restarts, timeouts;
} Used;

typedef struct {
  SimConfig *cfg;              /* the prepared copy */
  SimExploreOptions opt;
  const SimExploreConfig *b;
  const ChkChecker *lin;       /* NULL: linearizability not checked */
  SimFault crash[PROTO_MAX_NODES], restart[PROTO_MAX_NODES];
  SimWorld *root;
  GArray *root_path;           /* SimPinnedChoice: the nodes' boots */
  FpSet seen;                  /* depth first and random walks */
  SimExploreStats stats;
  uint64_t world_bytes;        /* rough size of one world */
  GMutex lock;                 /* random walks: the visited set */
  /* Breadth first (see "Breadth first" below): */
  XStore store;                /* temporary files */
  XSpool recs;                 /* Rec of every numbered state, by number */
  uint64_t n_states;           /* states numbered (every level but the one
                                  being generated) */
  XVisited visited;            /* their fingerprints, sorted */
  XSort children;              /* the next level's children, by fingerprint */
  XSort fresh_states;          /* its new states, by parent and choice */
  XSpool fresh_fps;            /* its new fingerprints, sorted */
  /* Partial-order reduction: the sleep sets of the level being expanded
   * (sleep[cur], read in order through sleep_win) and of the next one;
   * those of the round being expanded, from round_lo. */
  gboolean por;
  XSpool sleep[2];
  int sleep_cur;
  XWindow sleep_win;
  uint64_t sleep_off;
  uint64_t round_lo;
  GArray *round_keys, *round_spans; /* uint64_t, PorSpan */
} Explorer;

static Used
used_after (Used u, const SimChoice *c)
{
  switch (c->kind) {
  case SIM_CHOICE_DROP: u.drops++; break;
  case SIM_CHOICE_DUPLICATE: u.duplicates++; break;
  case SIM_CHOICE_TIMEOUT:
  case SIM_CHOICE_ATTEMPT_TIMEOUT:
  case SIM_CHOICE_OP_TIMEOUT:
    u.timeouts++;
    break;
  case SIM_CHOICE_INJECT:
    if (c->fault->kind == SIM_FAULT_CRASH)
      u.crashes++;
    else
      u.restarts++;
    break;
  default: break;
  }
  return u;
}

/* The choices enabled in w: the world's queued ones (client invocations
 * within the budget per client), then for each message a drop and a
 * duplicate while those budgets last, then crashes and restarts. */
static void
choices_enabled (const Explorer *x, SimWorld *w, Used u, GArray *queued, GArray *out)
{
  const SimExploreConfig *b = x->b;
  g_array_set_size (queued, 0);
  g_array_set_size (out, 0);
  if (w->is_over)
    return;
  sim_world_enabled (w, queued);
  /* At most three choices per queued one and one per node: the array is
   * sized once and cut to what was written. */
  g_array_set_size (out, queued->len * 3 + (guint) w->n_nodes);
  SimChoice *o = (SimChoice *) (void *) out->data;
  guint n_out = 0;
  for (guint i = 0; i < queued->len; i++) {
    SimChoice c = g_array_index (queued, SimChoice, i);
    switch (c.kind) {
    case SIM_CHOICE_INVOKE:
      if (w->clients[c.endpoint - w->n_nodes].op_number >= (uint64_t) b->ops)
        continue;
      break;
    case SIM_CHOICE_TIMEOUT:
    case SIM_CHOICE_ATTEMPT_TIMEOUT:
    case SIM_CHOICE_OP_TIMEOUT:
      if (b->timeouts > 0 && u.timeouts >= b->timeouts)
        continue;
      break;
    case SIM_CHOICE_RANDOM_FAULT:
    case SIM_CHOICE_FAULT_END:
      continue; /* random faults are off in the explore model */
    default:
      break;
    }
    o[n_out++] = c;
    if (c.kind == SIM_CHOICE_DELIVER) {
      if (u.drops < b->drops) {
        c.kind = SIM_CHOICE_DROP;
        o[n_out++] = c;
      }
      if (u.duplicates < b->duplicates) {
        c.kind = SIM_CHOICE_DUPLICATE;
        o[n_out++] = c;
      }
    }
  }
  for (int n = 0; n < w->n_nodes; n++) {
    gboolean up = w->nodes[n].is_up;
    if (up && u.crashes < b->crashes)
      o[n_out++] = (SimChoice) { .kind = SIM_CHOICE_INJECT, .endpoint = n, .fault = &x->crash[n] };
    if (!up && u.restarts < b->restarts)
      o[n_out++] = (SimChoice) { .kind = SIM_CHOICE_INJECT, .endpoint = n, .fault = &x->restart[n] };
  }
  g_array_set_size (out, n_out);
}

/* A deadlock: no choice is enabled, and none is only held back by the
 * timeouts budget (an armed timer is a way on, and would fire in any real
 * run: a path that used up the budget is cut by the bound, not stuck).
 * queued is what choices_enabled saw queued. */
static gboolean
is_deadlocked (const Explorer *x, const SimWorld *w, const GArray *queued, const GArray *choices)
{
  if (choices->len > 0 || !x->b->deadlock)
    return FALSE;
  for (guint i = 0; i < queued->len; i++) {
    SimChoiceKind k = g_array_index (queued, SimChoice, i).kind;
    if ((k == SIM_CHOICE_TIMEOUT || k == SIM_CHOICE_ATTEMPT_TIMEOUT || k == SIM_CHOICE_OP_TIMEOUT)
        && !w->is_over)
      return FALSE;
  }
  return TRUE;
}

/* The history as a sequence of events without times: what linearizability
 * depends on (real-time order is the order of events). */
static uint64_t
history_hash (const ChkHistory *h, uint64_t seed)
{
  uint64_t x = mix64 (seed + 0x51);
  for (guint i = 0; i < chk_history_len (h); i++) {
    ChkEvent e_ev = chk_history_event (h, i);
    const ChkEvent *e = &e_ev;
    x = hash_add (x, (uint64_t) e->process << 8 | (uint64_t) e->type << 4 | (uint64_t) e->f);
    x = hash_add (x, (uint64_t) (uint32_t) e->key << 8 | (uint64_t) e->value.kind);
    x = hash_add (x, (uint64_t) e->value.i ^ (uint64_t) e->value.j << 32 ^ (uint64_t) e->value.s);
  }
  return x;
}

/* What the protocol's ghost remembers: its bytes, or the protocol's own
 * digest when the ghost holds pointers (ghost_copy); left out if such a
 * ghost has no digest. */
static uint64_t
ghost_hash (const SimWorld *w, uint64_t seed)
{
  if (w->vt->ghost_copy != NULL)
    return w->vt->ghost_digest != NULL ? hash_add (seed, w->vt->ghost_digest (w->ghost)) : seed;
  /* Up to the ghost's extent, which its own bytes determine: equal
   * ghosts, equal lengths. */
  return sim_hash_bytes (mix64 (seed + 0x77), w->ghost, sim_ghost_extent (w));
}

/* ghost: ghost_hash (w, 0), or 0 to compute it here.  parts: the nodes'
 * digest words (sim_world_node_digest), or NULL to compute them. */
static Fp
state_fp (const Explorer *x, const SimWorld *w, Used u, uint64_t hist, uint64_t ghost,
          const uint64_t *parts)
{
  uint64_t used = hash_add ((uint64_t) u.drops | (uint64_t) u.duplicates << 16
                               | (uint64_t) u.crashes << 32 | (uint64_t) u.restarts << 48,
                             u.timeouts);
  Fp f = { 0, 0 };
  if (ghost == 0)
    ghost = ghost_hash (w, 0);
  f.lo = hash_add (hash_add (hash_add (sim_world_digest_parts (w, 0, parts), ghost), hist), used);
  if (x->b->fingerprint_bits == 128) {
    uint64_t s = 0x243f6a8885a308d3ULL;
    f.hi = hash_add (hash_add (hash_add (sim_world_digest_parts (w, s, parts), ghost_hash (w, s)),
                               history_hash (w->history, s)), used);
  }
  return f;
}

/* ---- Checks ---------------------------------------------------------------*/

typedef struct {
  Explorer *x;
  GHashTable *lin_ok;  /* history hashes checked linearizable */
  uint64_t lin_checks;
} Checker;

/* A violation in the new state of w (its parent had parent_events history
 * events): the invariant failure, or a history no longer linearizable.
 * (transfer full) */
static char *
state_violation (Checker *ck, SimWorld *w, guint parent_events, uint64_t hist)
{
  if (w->failure != NULL) {
    const char *s = w->failure->str;
    const char *nl = strstr (s, "\nlast trace lines:");
    return g_strdup_printf ("invariant: %.*s", nl != NULL ? (int) (nl - s) : (int) strlen (s), s);
  }
  if (ck->x->lin == NULL)
    return NULL;
  gboolean completed = FALSE;
  for (guint i = parent_events; i < chk_history_len (w->history); i++)
    if (chk_history_event (w->history, i).type != CHK_INVOKE)
      completed = TRUE;
  if (!completed || g_hash_table_contains (ck->lin_ok, &hist))
    return NULL;
  ck->lin_checks++;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (w->history, &error);
  g_assert (ops != NULL);
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.memory_limit_bytes = (gsize) 256 << 20;
  g_autoptr (ChkReport) rep = chk_checker_run (ck->x->lin, w->history, ops, &opt, &error);
  if (rep != NULL && rep->verdict == CHK_VERDICT_VIOLATION)
    return g_strdup_printf ("linearizable: %s", rep->explanation);
  g_hash_table_add (ck->lin_ok, g_memdup2 (&hist, sizeof hist));
  return NULL;
}

static char *
deadlock_violation (const SimWorld *w)
{
  g_autoptr (GString) who = g_string_new (NULL);
  for (int c = 0; c < w->n_clients; c++) {
    if (!w->clients[c].is_open)
      continue;
    g_string_append (who, who->len > 0 ? ", " : "");
    sim_endpoint_name (w->cfg, w->n_nodes + c, who);
    g_string_append (who, " waits for ");
    sim_op_describe (w, &w->clients[c].op, who);
  }
  if (who->len == 0)
    return NULL;
  return g_strdup_printf ("deadlock: nothing is enabled, but %s", who->str);
}

static void
checker_init (Checker *ck, Explorer *x)
{
  ck->x = x;
  ck->lin_ok = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  ck->lin_checks = 0;
}

static void
checker_clear (Checker *ck)
{
  g_hash_table_unref (ck->lin_ok);
}

/* ---- Partial-order reduction: sleep sets ----------------------------------
 *
 * Breadth first with `por` (the default) tries fewer choices and finds
 * exactly the same states.  It uses sleep sets (Godefroid, "Partial-Order
 * Methods for the Verification of Concurrent Systems", 1996, chapter 5)
 * over deliveries of messages and client invocations.
 *
 * Independence.  A delivery t (of m to node X) and a delivery u (of m' to
 * node Y != X, or a client event, see below), both enabled in state p,
 * commute: p.t.u and p.u.t are the same state, and neither disables the
 * other.  What each touches:
 *   - the receiving node's state, outbox, random stream, disk and timer
 *     (all per node; a node's step reads only its own state and the event);
 *   - the network: m (or m') leaves it, the step's messages join it.  The
 *     in-flight messages are a multiset in the state's identity (ids and
 *     send order are not), so both orders leave the same multiset, and
 *     neither removes the other's message;
 *   - virtual time: not at all, because the key below is only given to a
 *     message already due (zero latency in the explore model); a message
 *     due later (a Byzantine sender's hold) moves time, and time is read by
 *     every later step, so such a delivery is dependent on everything;
 *   - the disk's random stream, shared by all nodes: only with a disk
 *     latency, so the reduction is off when [faults] disk_latency is set;
 *   - the client history and client stubs: a delivery to a node touches
 *     neither (a reply to a client is a message until the client receives
 *     it).  Client events (an invocation due now, a delivery to a client)
 *     write the history, whose order linearizability reads, and take
 *     written values from one counter: they form one class, dependent on
 *     each other and independent of deliveries to nodes, which touch
 *     nothing of theirs;
 *   - the budgets: deliveries use none; an invocation uses its client's
 *     operation budget, which only that client's invocations touch
 *     (drops, duplicates, timeouts, crashes and restarts use shared
 *     budgets and are dependent on everything);
 *   - the ghost, which the protocol's check updates after every step from
 *     every node's state: its updates need not commute (Raft's ghost keeps
 *     the term of the first node seen to commit an index).  So a delivery
 *     is only taken as independent where it leaves the ghost as it was: in
 *     the state where it goes to sleep, both it and the choice it sleeps
 *     across leave the ghost unchanged, and a sleeping delivery stays
 *     asleep only across choices that leave the ghost unchanged.  That a
 *     delivery which left the ghost unchanged in p still does so after
 *     another node's ghost-neutral step rests on each protocol's check
 *     updating its ghost from each node's own state; the tests check it by
 *     comparing the sets of states found with and without the reduction.
 * Everything else (timeouts, which move time; crashes and restarts; drops
 * and duplicates; clients' retries and timeouts; [faults] entries; syncs)
 * is dependent on every choice and never sleeps.
 *
 * Sleep sets.  In a state s with sleep set Z(s), the choices of Z(s) are
 * not tried.  The k-th choice t tried in s (in the order choices_enabled
 * lists them) gives its child the sleep set
 *   { v in Z(s), or tried in s before t : v independent of t }:
 * a v tried before t reaches s.v.t = s.t.v from s.v, so s.t need not try
 * v again.  Every state reachable within the bounds is still reached, and
 * at the same depth (the commuted path is as long): sleep sets cut
 * choices, not states (Godefroid's chapter 5: sleep sets alone prune
 * transitions, never states; the argument carries over to breadth first
 * because a state's sleep set here is the intersection of the sets it is
 * reached with from all its parents at its depth, and sets only shrink by
 * intersecting, which tries more).  So invariants, linearizability and
 * deadlocks are checked in exactly the states the full search checks;
 * only the number of generated states falls.  A state first reached at a
 * shallower depth is not expanded again when reached deeper, as without
 * the reduction: its children are reached along paths of the same length
 * as in the full search. */

#define POR_MAX_SLEEP 48
#define POR_CLIENTS UINT64_C (0xff) /* the class of every client event */

typedef struct {
  uint32_t off, len; /* into the level's key array */
} PorSpan;

/* A choice that may sleep: its class in the top byte (the receiving node
 * + 1, or POR_CLIENTS) and below a hash of what it is (the sender and the
 * message's bytes, or the invoking client), the same for the same choice
 * in any state; 0 for a choice dependent on every other.  Keys are only
 * compared for equality. */
static uint64_t
por_key (const SimWorld *w, const SimChoice *c)
{
  if (c->time_us > w->stats.now_us || c->endpoint < 0)
    return 0;
  uint64_t cls = c->endpoint < w->n_nodes ? (uint64_t) c->endpoint + 1 : POR_CLIENTS;
  if (c->kind == SIM_CHOICE_INVOKE)
    return cls << 56 | (mix64 ((uint64_t) c->endpoint + 0x1f) & ((UINT64_C (1) << 56) - 1));
  if (c->kind != SIM_CHOICE_DELIVER)
    return 0;
  /* The message: where the choice's queue hint points (sim_world_enabled),
   * or found by its id.  Its digest already hashes its sender, receiver
   * and bytes. */
  const SimMsg *m = NULL;
  if (c->at > 0 && c->at <= w->queue.len) {
    const SimEvent *ev = &w->queue.items[c->at - 1];
    if (ev->kind == SIM_CHOICE_DELIVER && ev->b == c->id)
      m = &w->net.slots[ev->a];
  }
  for (guint i = 0; m == NULL && i < w->net.n_slots; i++)
    if (w->net.slots[i].id == c->id)
      m = &w->net.slots[i];
  if (m == NULL)
    return 0;
  uint64_t h = hash_add (m->digest, (uint64_t) c->endpoint);
  return cls << 56 | (h & ((UINT64_C (1) << 56) - 1));
}

static inline gboolean
por_has (const uint64_t *keys, guint n, uint64_t key)
{
  for (guint i = 0; i < n; i++)
    if (keys[i] == key)
      return TRUE;
  return FALSE;
}

static inline gboolean
por_independent (uint64_t a, uint64_t b)
{
  return a != 0 && b != 0 && (a >> 56) != (b >> 56);
}

/* ---- Breadth first --------------------------------------------------------
 *
 * Level by level, with delayed duplicate detection (Korf, "Delayed
 * Duplicate Detection", 2003; TLC's disk fingerprint set works the same
 * way): the states of every finished level are numbered in breadth-first
 * order, their fingerprints kept as one sorted array (8 bytes a state, 16
 * with 128-bit fingerprints), their records (parent, choice index) and the
 * sleep sets of the level to expand in spools that live in temporary files
 * once they outgrow a small buffer.  Expanding a level, a worker drops the
 * children already in the array and hands the others on; they go to an
 * external sort by fingerprint (runs of a memory budget, spilled and
 * merged).  At the end of the level the sorted children are read back:
 * equal fingerprints are one new state, reached first (in the order of
 * parents, then of choices) by the child with the smallest (parent,
 * choice index), and its sleep set is what the sets of all of them hold.
 * The new states are then sorted again by (parent, choice index), which
 * numbers them in exactly the order a search merging each child as it
 * comes would, so the records, the counterexamples and the counts do not
 * depend on the budget, the number of runs or the threads.  Their
 * fingerprints, already sorted, are merged into the array from its end.
 * The last level's states are counted, not kept. */

typedef struct {
  Fp fp;
  uint64_t order;                /* parent << 32 | choice index */
  uint32_t sleep_off, sleep_len; /* its sleep set in the worker's sleep_out */
} Child;

static inline uint64_t
rec_order (Rec r)
{
  return (uint64_t) r.parent << 32 | r.index;
}

static inline Rec
order_rec (uint64_t order)
{
  return (Rec) { .parent = (uint32_t) (order >> 32), .index = (uint32_t) order };
}

/* cache[d] holds the world of a state at depth d, or of a child being
 * generated (id NO_ID).  diff_nodes, diff_clients: the nodes and clients
 * whose state or disk may differ between cache[d] and cache[d - 1] as it
 * is now; rebuilding cache[d] copies only those (sim_world_assign). */
typedef struct {
  uint32_t id;
  SimWorld *w;
  Used used;
  uint64_t diff_nodes, diff_clients;
  uint64_t *parts;          /* the world's node digest words (2 per node) */
  GArray *choices;          /* SimChoice enabled in w, if has_choices */
  GArray *queued;           /* SimChoice: the queue choices_enabled saw */
  gboolean has_choices;
} CacheSlot;

#define NO_ID G_MAXUINT32

typedef struct {
  Explorer *x;
  Checker ck;
  CacheSlot *cache;         /* cache[d]: the world of a state at depth d */
  int cache_valid;          /* cache[0 .. cache_valid-1] is one path */
  uint32_t *anc, *anc_index;
  XWindow *win;             /* win[d]: over the records of depth d */
  GArray *queued;
  /* This level: */
  uint64_t lo, hi;          /* the slice of the frontier */
  int depth;
  int shard_level;          /* this level keeps only this shard's states */
  GArray *out;              /* Child */
  uint64_t generated;
  char *bad_what;           /* the first violation among the slice's children */
  uint64_t bad_order;       /* its parent and choice */
  Fp bad_fp;
  uint32_t deadlock_at;     /* a deadlocked state of the slice, or 0 */
  char *deadlock_what;
  GArray *sleep_out;        /* uint64_t: the sleep sets of out's children */
  GArray *sleep_done;       /* uint64_t: ghost-neutral deliveries tried */
  uint64_t slept;
} Worker;

static void
worker_init (Worker *wk, Explorer *x)
{
  memset (wk, 0, sizeof *wk);
  wk->x = x;
  checker_init (&wk->ck, x);
  wk->cache = g_new0 (CacheSlot, x->b->depth + 2);
  wk->win = g_new0 (XWindow, x->b->depth + 2);
  for (int d = 0; d < x->b->depth + 2; d++) {
    wk->cache[d].parts = g_new0 (uint64_t, 2 * (size_t) x->root->n_nodes);
    wk->cache[d].choices = g_array_new (FALSE, FALSE, sizeof (SimChoice));
    wk->cache[d].queued = g_array_new (FALSE, FALSE, sizeof (SimChoice));
    xwindow_init (&wk->win[d], &x->recs, 4096);
  }
  for (int n = 0; n < x->root->n_nodes; n++)
    sim_world_node_digest (x->root, n, wk->cache[0].parts + 2 * n);
  wk->anc = g_new0 (uint32_t, x->b->depth + 2);
  wk->anc_index = g_new0 (uint32_t, x->b->depth + 2);
  wk->cache[0].w = x->root;
  wk->cache[0].id = 0;
  wk->cache_valid = 1;
  wk->queued = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  wk->out = g_array_new (FALSE, FALSE, sizeof (Child));
  wk->sleep_out = g_array_new (FALSE, FALSE, sizeof (uint64_t));
  wk->sleep_done = g_array_new (FALSE, FALSE, sizeof (uint64_t));
}

static void
worker_clear (Worker *wk)
{
  for (int d = 0; d < wk->x->b->depth + 2; d++) {
    if (d > 0)
      sim_world_free (wk->cache[d].w);
    g_free (wk->cache[d].parts);
    g_array_unref (wk->cache[d].choices);
    g_array_unref (wk->cache[d].queued);
    xwindow_clear (&wk->win[d]);
  }
  g_free (wk->cache);
  g_free (wk->win);
  g_free (wk->anc);
  g_free (wk->anc_index);
  g_array_unref (wk->queued);
  g_array_unref (wk->out);
  g_array_unref (wk->sleep_out);
  g_array_unref (wk->sleep_done);
  g_free (wk->bad_what);
  g_free (wk->deadlock_what);
  checker_clear (&wk->ck);
}

static uint64_t
worker_memory (const Worker *wk)
{
  uint64_t m = (uint64_t) wk->out->len * sizeof (Child) + (uint64_t) wk->sleep_out->len * 8
               + (uint64_t) wk->cache_valid * wk->x->world_bytes;
  for (int d = 0; d < wk->x->b->depth + 2; d++)
    m += wk->win[d].buf != NULL ? wk->win[d].cap : 0;
  return m;
}

/* Makes cache[d] the world of cache[d - 1] after choice c: copies what
 * may differ into the world already there, then applies c. */
static SimWorld *
worker_step (Worker *wk, int d, const SimChoice *c, uint32_t id)
{
  CacheSlot *s = &wk->cache[d], *p = &wk->cache[d - 1];
  uint64_t old_nodes = s->diff_nodes, old_clients = s->diff_clients;
  if (s->w == NULL) {
    s->w = sim_world_clone (p->w);
    /* cache[0] is the root, which every worker reads. */
    if (d >= 2)
      sim_world_share_spares (s->w, wk->cache[1].w);
    old_nodes = old_clients = G_MAXUINT64;
  } else {
    sim_world_assign (s->w, p->w, s->diff_nodes, s->diff_clients);
  }
  s->w->touched_nodes = s->w->touched_clients = 0;
  gboolean ok = sim_world_apply (s->w, c);
  g_assert (ok);
  s->id = id;
  s->has_choices = FALSE;
  s->used = used_after (p->used, c);
  s->diff_nodes = s->w->touched_nodes;
  s->diff_clients = s->w->touched_clients;
  /* A node's digest words change only with its state and disk, or with a
   * fault's doing (a Byzantine behaviour sets its context): recompute the
   * touched ones.  A crash or a restart (the explorer's injected faults)
   * touches the node it acts on and no other. */
  gboolean is_fault = c->kind == SIM_CHOICE_FAULT
                      || (c->kind == SIM_CHOICE_INJECT && c->fault->kind != SIM_FAULT_CRASH
                          && c->fault->kind != SIM_FAULT_RESTART);
  for (int n = 0; n < s->w->n_nodes; n++) {
    if (is_fault || (s->diff_nodes & sim_touch_bit (n)) != 0)
      sim_world_node_digest (s->w, n, s->parts + 2 * n);
    else
      memcpy (s->parts + 2 * n, p->parts + 2 * n, 2 * sizeof (uint64_t));
  }
  /* cache[d + 1] differed from the old cache[d] in its own diff; the
   * old and the new cache[d] differ where either differs from cache[d - 1]. */
  if (d + 1 < wk->x->b->depth + 2) {
    wk->cache[d + 1].diff_nodes |= old_nodes | s->diff_nodes;
    wk->cache[d + 1].diff_clients |= old_clients | s->diff_clients;
  }
  return s->w;
}

/* The choices enabled in cache[d] (listed once per world there). */
static void
worker_choices (Worker *wk, int d)
{
  CacheSlot *s = &wk->cache[d];
  if (!s->has_choices)
    choices_enabled (wk->x, s->w, s->used, s->queued, s->choices);
  s->has_choices = TRUE;
}

/* The sleep set of state `id` of the round being expanded. */
static void
por_sleep_of (const Explorer *x, uint64_t id, const uint64_t **keys, guint *n)
{
  const GArray *spans = x->round_spans;
  *keys = NULL;
  *n = 0;
  if (id - x->round_lo >= spans->len)
    return;
  PorSpan sp = g_array_index (spans, PorSpan, (guint) (id - x->round_lo));
  *keys = (const uint64_t *) (void *) x->round_keys->data + sp.off;
  *n = sp.len;
}

/* The child that delivery `key` reached without changing the ghost: its
 * sleep set, the parent's and the ghost-neutral deliveries tried before it
 * that are independent of it.  Then `key` joins those tried. */
static void
por_child_sleep (Worker *wk, const uint64_t *sleep, guint n_sleep, uint64_t key, Child *ch)
{
  ch->sleep_off = wk->sleep_out->len;
  const uint64_t *done = (const uint64_t *) (void *) wk->sleep_done->data;
  for (guint k = 0; k < n_sleep + wk->sleep_done->len; k++) {
    uint64_t v = k < n_sleep ? sleep[k] : done[k - n_sleep];
    if (por_independent (v, key) && wk->sleep_out->len - ch->sleep_off < POR_MAX_SLEEP)
      g_array_append_val (wk->sleep_out, v);
  }
  ch->sleep_len = wk->sleep_out->len - ch->sleep_off;
  g_array_append_val (wk->sleep_done, key);
}

/* Reads the sleep sets of states lo..hi-1 (the next ones of the level's
 * spool, in order) for the workers of a round.  Each is a word holding
 * its length, then its keys. */
static void
por_load_round (Explorer *x, uint64_t lo, uint64_t hi)
{
  XSpool *sp = &x->sleep[x->sleep_cur];
  x->round_lo = lo;
  g_array_set_size (x->round_keys, 0);
  g_array_set_size (x->round_spans, 0);
  for (uint64_t id = lo; id < hi && x->sleep_off < xspool_size (sp); id++) {
    uint64_t len;
    memcpy (&len, xwindow_at (&x->sleep_win, x->sleep_off, 8), 8);
    x->sleep_off += 8;
    if (len > POR_MAX_SLEEP || x->sleep_off + 8 * len > xspool_size (sp))
      len = 0; /* only after a failed read, which ends the search */
    PorSpan span = { x->round_keys->len, (uint32_t) len };
    if (len > 0)
      g_array_append_vals (x->round_keys, xwindow_at (&x->sleep_win, x->sleep_off, 8 * len),
                           (guint) len);
    x->sleep_off += 8 * len;
    g_array_append_val (x->round_spans, span);
  }
}

/* The world of state `id` at depth `depth`, rebuilt from the deepest
 * cached ancestor: the records are read going up until a state the cache
 * holds (the ancestors of a worker's states come in increasing order at
 * every depth, so each depth's window moves forward).  NULL if a record
 * is unusable (only after a failed read). */
static CacheSlot *
worker_world (Worker *wk, uint32_t id, int depth)
{
  uint32_t a = id;
  int d = depth;
  while (d > 0 && !(d < wk->cache_valid && wk->cache[d].id == a)) {
    Rec r;
    memcpy (&r, xwindow_at (&wk->win[d], (uint64_t) a * sizeof (Rec), sizeof (Rec)), sizeof r);
    wk->anc[d] = a;
    wk->anc_index[d] = r.index;
    a = r.parent;
    d--;
  }
  for (int e = d + 1; e <= depth; e++) {
    worker_choices (wk, e - 1);
    const GArray *choices = wk->cache[e - 1].choices;
    if (wk->anc_index[e] >= choices->len) {
      g_assert (xstore_failed (&wk->x->store));
      wk->cache_valid = e;
      return NULL;
    }
    worker_step (wk, e, &g_array_index (choices, SimChoice, wk->anc_index[e]), wk->anc[e]);
  }
  wk->cache_valid = depth + 1;
  return &wk->cache[depth];
}

/* Whether the time limit has passed (never without one). */
static gboolean
out_of_time (const Explorer *x)
{
  return x->opt.expired != NULL && x->opt.expired (x->opt.expired_data);
}

/* "--max-memory 300K" as the reason of an unknown outcome says it: in
 * the largest unit that divides it ("2 MB", "300 KB", "1000 bytes"). */
static char *
memory_limit_text (uint64_t bytes)
{
  if (bytes % (1u << 20) == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " MB", bytes >> 20);
  if (bytes % 1024 == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " KB", bytes >> 10);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " byte%s", bytes, bytes == 1 ? "" : "s");
}

/* "--timeout 10s", as the reason of an unknown outcome says it. */
static char *
timeout_text (const Explorer *x)
{
  g_autoptr (GString) d = g_string_new (NULL);
  proto_format_duration (x->opt.timeout_us, d);
  return g_strdup_printf ("reached the time limit (--timeout %s)", d->str);
}

/* Drops out's children from `from` on that are in the visited array (a
 * state of this level or an earlier one), in a batch: its lookups' cache
 * misses overlap.  The new length. */
static guint
worker_drop_visited (Worker *wk, guint from)
{
  guint n = (guint) xvisited_drop_known (&wk->x->visited, wk->out->data, from, wk->out->len,
                                         sizeof (Child), G_STRUCT_OFFSET (Child, fp));
  g_array_set_size (wk->out, n);
  return n;
}

static gpointer
worker_expand (gpointer data)
{
  Worker *wk = data;
  Explorer *x = wk->x;
  guint checked = wk->out->len; /* out's children before it are not visited */
  for (uint64_t id = wk->lo; id < wk->hi; id++) {
    if (wk->shard_level && (id % (uint64_t) x->opt.shard_count) != (uint64_t) x->opt.shard_index)
      continue;
    CacheSlot *slot = worker_world (wk, (uint32_t) id, wk->depth);
    if (slot == NULL)
      break;
    SimWorld *w = slot->w;
    worker_choices (wk, wk->depth);
    const GArray *choices = slot->choices;
    if (is_deadlocked (x, w, slot->queued, choices) && wk->deadlock_what == NULL) {
      char *why = deadlock_violation (w);
      if (why != NULL) {
        wk->deadlock_what = why;
        wk->deadlock_at = (uint32_t) id;
      }
    }
    guint parent_events = chk_history_len (w->history);
    /* Most steps leave a plain ghost as it was: compare instead of hashing. */
    uint64_t parent_ghost = ghost_hash (w, 0);
    gboolean is_plain_ghost = w->vt->ghost_copy == NULL && w->vt->ghost_size > 0;
    Used used = slot->used;
    const uint64_t *sleep = NULL;
    guint n_sleep = 0;
    if (x->por)
      por_sleep_of (x, id, &sleep, &n_sleep);
    g_array_set_size (wk->sleep_done, 0);
    for (guint i = 0; i < choices->len; i++) {
      const SimChoice *c = &g_array_index (choices, SimChoice, i);
      uint64_t key = x->por ? por_key (w, c) : 0;
      if (key != 0
          && (por_has (sleep, n_sleep, key)
              || por_has ((const uint64_t *) (void *) wk->sleep_done->data, wk->sleep_done->len,
                          key))) {
        wk->slept++; /* asleep, or a copy of a message just delivered */
        continue;
      }
      /* Children are made in the next cache slot, which is no state's. */
      SimWorld *child = worker_step (wk, wk->depth + 1, c, NO_ID);
      wk->generated++;
      Used u = used_after (used, c);
      uint64_t hist = history_hash (child->history, 0);
      uint64_t ghost = is_plain_ghost
                         && memcmp (child->ghost, w->ghost,
                                    MAX (sim_ghost_extent (child), sim_ghost_extent (w))) == 0
                         ? parent_ghost : 0;
      if (ghost == 0 && x->por)
        ghost = ghost_hash (child, 0);
      Child ch = {
        .fp = fp_norm (state_fp (x, child, u, hist, ghost, wk->cache[wk->depth + 1].parts)),
        .order = rec_order ((Rec) { .parent = (uint32_t) id, .index = i }),
      };
      char *why = state_violation (&wk->ck, child, parent_events, hist);
      if (key != 0 && why == NULL && ghost == parent_ghost)
        por_child_sleep (wk, sleep, n_sleep, key, &ch);
      if (why != NULL) {
        if (wk->bad_what == NULL) {
          wk->bad_what = why;
          wk->bad_order = ch.order;
          wk->bad_fp = ch.fp;
        } else {
          g_free (why);
        }
        continue;
      }
      g_array_append_val (wk->out, ch);
    }
    if (wk->out->len - checked >= 256)
      checked = worker_drop_visited (wk, checked);
    if (x->opt.threads == 1 && x->opt.progress != NULL && (id & 0x3fff) == 0) {
      SimExploreStats st = x->stats;
      st.generated += wk->generated;
      st.level_done += id - wk->lo;
      x->opt.progress (&st, x->opt.progress_data);
    }
  }
  worker_drop_visited (wk, checked);
  return NULL;
}

static Rec
rec_read (Explorer *x, uint32_t id)
{
  Rec r;
  xspool_read (&x->recs, (uint64_t) id * sizeof (Rec), &r, sizeof r);
  return r;
}

/* The path from the start to state id (then to the child `last` of it, if
 * not NULL): the ancestors' records name each choice by its index, so the
 * path is replayed from the root to find the choices.  NULL if a record
 * is unusable (only after a failed read). */
static GArray *
path_of (Explorer *x, uint32_t id, const Rec *last)
{
  GArray *path = g_array_new (FALSE, FALSE, sizeof (SimPinnedChoice));
  g_array_append_vals (path, x->root_path->data, x->root_path->len);
  g_autoptr (GArray) rev = g_array_new (FALSE, FALSE, sizeof (Rec));
  if (last != NULL)
    g_array_append_val (rev, *last);
  for (uint32_t a = id; a != 0 && rev->len <= (guint) x->b->depth;) {
    Rec r = rec_read (x, a);
    g_array_append_val (rev, r);
    a = r.parent;
  }
  g_autoptr (SimWorld) w = sim_world_clone (x->root);
  g_autoptr (GArray) queued = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  g_autoptr (GArray) choices = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  Used u = { 0 };
  for (guint i = rev->len; i-- > 0;) {
    choices_enabled (x, w, u, queued, choices);
    uint32_t index = g_array_index (rev, Rec, i).index;
    if (index >= choices->len) {
      g_assert (xstore_failed (&x->store));
      g_array_unref (path);
      return NULL;
    }
    const SimChoice *c = &g_array_index (choices, SimChoice, index);
    SimPinnedChoice p;
    sim_pinned_of_choice (c, &p);
    g_array_append_val (path, p);
    gboolean ok = sim_world_apply (w, c);
    g_assert (ok);
    u = used_after (u, c);
  }
  return path;
}

static uint64_t
bfs_memory (const Explorer *x, Worker *wks, int n)
{
  uint64_t m = xvisited_bytes (&x->visited) + xsort_memory (&x->children)
               + xsort_memory (&x->fresh_states) + xspool_memory (&x->recs)
               + xspool_memory (&x->fresh_fps);
  if (x->por) {
    m += xspool_memory (&x->sleep[0]) + xspool_memory (&x->sleep[1])
         + (x->sleep_win.buf != NULL ? x->sleep_win.cap : 0)
         + (uint64_t) x->round_keys->len * 8 + (uint64_t) x->round_spans->len * sizeof (PorSpan);
  }
  for (int i = 0; i < n; i++)
    m += worker_memory (&wks[i]);
  return m;
}

/* The budget of each sort of a level: a sixteenth of the visited array
 * (so the buffers grow with the search, not ahead of it), between 128 KB
 * and 256 MB, at most an eighth of --max-memory; or the option's. */
static size_t
bfs_sort_budget (const Explorer *x, uint64_t visited_bytes)
{
  if (x->opt.buffer_bytes > 0)
    return (size_t) x->opt.buffer_bytes;
  uint64_t b = CLAMP (visited_bytes / 16, (uint64_t) 128 << 10, (uint64_t) 256 << 20);
  if (x->opt.max_memory_bytes > 0)
    b = MIN (b, MAX (x->opt.max_memory_bytes / 8, (uint64_t) 16 << 10));
  return (size_t) b;
}

/* Reads the level's children back by fingerprint: each run of equal
 * fingerprints is one new state, whose record is the first child's and
 * whose sleep set is what all of theirs hold.  With is_numbered, its
 * fingerprint goes to fresh_fps and the state to fresh_states.  With a
 * violation (bad != NULL), also says whether the broken child's
 * fingerprint is new.  The number of new states. */
static uint64_t
level_dedup (Explorer *x, gboolean is_numbered, const Fp *bad, gboolean *bad_is_new)
{
  XSort *s = &x->children;
  xsort_finish (s);
  if (bad != NULL)
    *bad_is_new = !xvisited_contains (&x->visited, bad->lo, bad->hi);
  const int words = x->b->fingerprint_bits / 64;
  uint64_t m = 0;
  XEnt e;
  const uint64_t *extra;
  gboolean has = xsort_next (s, &e, &extra);
  uint64_t inter[POR_MAX_SLEEP];
  while (has) {
    XEnt first = e;
    guint n_inter = MIN (e.n_extra, (uint32_t) POR_MAX_SLEEP);
    if (n_inter > 0)
      memcpy (inter, extra, 8 * (size_t) n_inter);
    while ((has = xsort_next (s, &e, &extra)) && e.k0 == first.k0 && e.k1 == first.k1) {
      guint kept = 0;
      for (guint k = 0; k < n_inter; k++)
        if (por_has (extra, e.n_extra, inter[k]))
          inter[kept++] = inter[k];
      n_inter = kept;
    }
    m++;
    if (bad != NULL && bad->lo == first.k0 && bad->hi == first.k1)
      *bad_is_new = FALSE;
    if (is_numbered) {
      xspool_append (&x->fresh_fps, &first.k0, 8 * (size_t) words);
      XEnt st = { .k0 = first.k2, .k1 = first.k0, .k2 = first.k1, .n_extra = n_inter };
      xsort_add (&x->fresh_states, &st, inter);
    }
  }
  return m;
}

/* Numbers the new states (fresh_states, by parent and choice): their
 * records, their sleep sets for the next level. */
static void
level_number (Explorer *x)
{
  XSort *s = &x->fresh_states;
  xsort_finish (s);
  XSpool *sleep = &x->sleep[!x->sleep_cur];
  XEnt e;
  const uint64_t *extra;
  while (xsort_next (s, &e, &extra)) {
    Rec r = order_rec (e.k0);
    xspool_append (&x->recs, &r, sizeof r);
    if (x->por) {
      uint64_t len = e.n_extra;
      xspool_append (sleep, &len, 8);
      if (len > 0)
        xspool_append (sleep, extra, 8 * (size_t) len);
    }
    if (x->opt.on_state != NULL)
      x->opt.on_state (e.k1, x->opt.on_state_data);
  }
}

/* The unknown verdict of a failed temporary file. */
static void
bfs_store_failed (Explorer *x, SimExploreResult *r, int depth)
{
  r->verdict = SIM_EXPLORE_UNKNOWN;
  r->what = g_strdup_printf ("%s; depth %d was explored completely", x->store.error, depth);
  x->stats.distinct = x->n_states;
}

/* States of the frontier a worker expands per round. */
#define BFS_CHUNK 2048

static void
bfs (Explorer *x, SimExploreResult *r)
{
  int n = MAX (x->opt.threads, 1);
  Worker *wks = g_new0 (Worker, n);
  for (int i = 0; i < n; i++)
    worker_init (&wks[i], x);
  const int words = x->b->fingerprint_bits / 64;
  /* The root: number 0, its own parent, no sleep set. */
  Rec root_rec = { 0 };
  xspool_append (&x->recs, &root_rec, sizeof root_rec);
  Used u0 = { 0 };
  Fp root_fp = fp_norm (state_fp (x, x->root, u0, history_hash (x->root->history, 0), 0, NULL));
  xspool_append (&x->fresh_fps, &root_fp.lo, 8 * (size_t) words);
  gboolean ok = xvisited_merge (&x->visited, &x->fresh_fps, 1);
  g_assert (ok);
  xspool_truncate (&x->fresh_fps);
  if (x->por) {
    uint64_t none = 0;
    xspool_append (&x->sleep[x->sleep_cur], &none, 8);
  }
  x->n_states = 1;
  uint64_t lo = 0, hi = 1;
  gboolean sharded = x->opt.shard_count <= 1;
  int depth = 0;
  for (;;) {
    x->stats.depth = depth;
    if (lo == hi) {
      x->stats.is_complete = TRUE;
      break;
    }
    if (depth >= x->b->depth)
      break;
    gboolean shard_level = !sharded && hi - lo >= (uint64_t) x->opt.shard_count;
    if (shard_level)
      sharded = TRUE;
    size_t budget = bfs_sort_budget (x, xvisited_bytes (&x->visited));
    uint64_t level_peak = 0;
    xsort_reset (&x->children, budget);
    xsort_reset (&x->fresh_states, budget);
    x->sleep_off = 0;
    x->sleep_win.s = &x->sleep[x->sleep_cur];
    xwindow_forget (&x->sleep_win);
    /* The level goes in rounds of BFS_CHUNK states per worker; after each
     * round the main thread hands the children, in the order of their
     * parents, to the sort. */
    char *bad_what = NULL;        /* the level's first broken child */
    uint64_t bad_order = 0;
    Fp bad_fp = { 0, 0 };
    GArray *bad_path = NULL;
    x->stats.level_states = hi - lo;
    x->stats.level_done = 0;
    for (uint64_t next = lo; next < hi;) {
      if (bad_what == NULL && out_of_time (x)) {
        g_autofree char *limit = timeout_text (x);
        r->verdict = SIM_EXPLORE_UNKNOWN;
        r->what = g_strdup_printf ("%s after depth %d, with %" G_GUINT64_FORMAT " of its %"
                                   G_GUINT64_FORMAT " states still to expand", limit, depth,
                                   hi - next, hi - lo);
        x->stats.depth = depth;
        /* The new states among the children of the rounds done. */
        x->stats.distinct = x->n_states + level_dedup (x, FALSE, NULL, NULL);
        if (xstore_failed (&x->store)) {
          g_clear_pointer (&r->what, g_free);
          bfs_store_failed (x, r, depth);
        }
        goto done;
      }
      GThread *threads[n];
      uint64_t round_hi = MIN (next + BFS_CHUNK * (uint64_t) n, hi);
      if (x->por)
        por_load_round (x, next, round_hi);
      for (int i = 0; i < n; i++) {
        Worker *wk = &wks[i];
        wk->lo = MIN (next + BFS_CHUNK * (uint64_t) i, hi);
        wk->hi = MIN (wk->lo + BFS_CHUNK, hi);
        wk->depth = depth;
        wk->shard_level = shard_level;
        wk->generated = 0;
        g_array_set_size (wk->out, 0);
        g_array_set_size (wk->sleep_out, 0);
        g_clear_pointer (&wk->bad_what, g_free);
        threads[i] = n > 1 ? g_thread_try_new ("explore", worker_expand, wk, NULL) : NULL; /* dsim-allow-nondeterminism: workers around worlds, results merged in order */
        /* One thread, or no room for another (--threads 256 under a
         * memory ulimit): this one does the work. */
        if (threads[i] == NULL)
          worker_expand (wk);
      }
      next = round_hi;
      for (int i = 0; i < n; i++)
        if (threads[i] != NULL)
          g_thread_join (threads[i]);
      x->stats.depth_reached = depth + 1;
      if (xstore_failed (&x->store)) {
        bfs_store_failed (x, r, depth);
        g_free (bad_what);
        if (bad_path != NULL)
          g_array_unref (bad_path);
        goto done;
      }
      /* A deadlocked state of this level is a shorter path than any broken
       * child: report it first (the first in the level's order). */
      for (int i = 0; i < n; i++)
        if (wks[i].deadlock_what != NULL) {
          r->verdict = SIM_EXPLORE_VIOLATION;
          r->what = g_steal_pointer (&wks[i].deadlock_what);
          r->path = path_of (x, wks[i].deadlock_at, NULL);
          /* The distinct states: the numbered ones, and the new ones
           * among the children of the rounds before this one. */
          gboolean bad_is_new = FALSE;
          x->stats.distinct = x->n_states
                              + level_dedup (x, FALSE, bad_what != NULL ? &bad_fp : NULL,
                                             &bad_is_new)
                              + bad_is_new;
          g_free (bad_what);
          if (bad_path != NULL)
            g_array_unref (bad_path);
          if (r->path == NULL || xstore_failed (&x->store)) {
            g_clear_pointer (&r->what, g_free);
            if (r->path != NULL)
              g_clear_pointer (&r->path, g_array_unref);
            bfs_store_failed (x, r, depth);
          }
          goto done;
        }
      for (int i = 0; i < n; i++) {
        Worker *wk = &wks[i];
        x->stats.generated += wk->generated;
        x->stats.slept += wk->slept;
        wk->slept = 0;
        x->stats.lin_checks += wk->ck.lin_checks;
        wk->ck.lin_checks = 0;
        if (wk->bad_what != NULL && bad_what == NULL) {
          bad_what = g_steal_pointer (&wk->bad_what);
          bad_order = wk->bad_order;
          bad_fp = wk->bad_fp;
          Rec last = order_rec (bad_order);
          bad_path = path_of (x, last.parent, &last);
        }
        /* After a broken child only those before it count (for the
         * number of distinct states when it was found). */
        const uint64_t *sleep_keys = (const uint64_t *) (void *) wk->sleep_out->data;
        for (guint k = 0; k < wk->out->len; k++) {
          const Child *ch = &g_array_index (wk->out, Child, k);
          if (bad_what != NULL && ch->order > bad_order)
            break;
          XEnt e = { .k0 = ch->fp.lo, .k1 = ch->fp.hi, .k2 = ch->order, .n_extra = ch->sleep_len };
          xsort_add (&x->children, &e, ch->sleep_len > 0 ? sleep_keys + ch->sleep_off : NULL);
        }
      }
      x->stats.level_done = next - lo;
      if (x->opt.progress != NULL)
        x->opt.progress (&x->stats, x->opt.progress_data);
      level_peak = MAX (level_peak, bfs_memory (x, wks, n));
      x->stats.memory_bytes = MAX (x->stats.memory_bytes, level_peak);
    }
    if (bad_what != NULL) {
      gboolean bad_is_new = FALSE;
      uint64_t m = level_dedup (x, FALSE, &bad_fp, &bad_is_new);
      x->stats.distinct = x->n_states + m + bad_is_new;
      if (bad_path == NULL || xstore_failed (&x->store)) {
        g_free (bad_what);
        if (bad_path != NULL)
          g_array_unref (bad_path);
        bfs_store_failed (x, r, depth);
        goto done;
      }
      r->verdict = SIM_EXPLORE_VIOLATION;
      r->what = bad_what;
      r->path = bad_path;
      goto done;
    }
    /* The level's end: the new states found, numbered (the last level's
     * only counted, unless each is reported), and their fingerprints
     * merged into the visited array if the search goes on. */
    gboolean is_last = depth + 1 >= x->b->depth;
    gboolean is_numbered = !is_last || x->opt.on_state != NULL;
    uint64_t m = level_dedup (x, is_numbered, NULL, NULL);
    level_peak = MAX (level_peak, bfs_memory (x, wks, n));
    if (is_numbered)
      level_number (x);
    level_peak = MAX (level_peak, bfs_memory (x, wks, n));
    x->stats.memory_bytes = MAX (x->stats.memory_bytes, level_peak);
    xsort_reset (&x->children, budget);
    xsort_reset (&x->fresh_states, budget);
    if (xstore_failed (&x->store)) {
      bfs_store_failed (x, r, depth);
      goto done;
    }
    x->n_states += m;
    x->stats.distinct = x->n_states;
    x->stats.level_states = x->stats.level_done = 0;
    if (x->por) {
      xspool_truncate (&x->sleep[x->sleep_cur]);
      x->sleep_cur = !x->sleep_cur;
    }
    if (x->opt.progress != NULL)
      x->opt.progress (&x->stats, x->opt.progress_data);
    lo = hi;
    hi = x->n_states;
    depth++;
    if (x->b->max_states > 0 && x->stats.distinct >= (uint64_t) x->b->max_states && lo < hi) {
      r->verdict = SIM_EXPLORE_UNKNOWN;
      r->what = g_strdup_printf ("reached the bound of %" G_GINT64_FORMAT " distinct states "
                                 "(depth %d explored completely); raise [explore] states or "
                                 "--max-states", x->b->max_states, depth);
      x->stats.depth = depth;
      goto done;
    }
    if (lo < hi && depth < x->b->depth) {
      /* The next level is expanded: its states join the visited array,
       * within --max-memory. */
      /* The next level holds what this one did at its peak, plus the
       * fingerprints added and the sorts' larger budgets. */
      uint64_t grown = xvisited_bytes_for (&x->visited, x->visited.n + m);
      uint64_t after = level_peak + grown - xvisited_bytes (&x->visited)
                       + 2 * (MAX (bfs_sort_budget (x, grown), budget) - budget);
      if (x->opt.max_memory_bytes > 0 && after >= x->opt.max_memory_bytes) {
        r->verdict = SIM_EXPLORE_UNKNOWN;
        g_autofree char *limit = memory_limit_text (x->opt.max_memory_bytes);
        r->what = g_strdup_printf ("reached --max-memory (%s) after depth %d with %" G_GUINT64_FORMAT
                                   " states still to expand",
                                   limit, depth, hi - lo);
        x->stats.depth = depth;
        goto done;
      }
      if (!xvisited_merge (&x->visited, &x->fresh_fps, m)) {
        r->verdict = SIM_EXPLORE_UNKNOWN;
        r->what = g_strdup_printf ("the system had no memory for the fingerprints of %"
                                   G_GUINT64_FORMAT " states after depth %d, with %"
                                   G_GUINT64_FORMAT " states still to expand; bound the search "
                                   "with --max-memory", x->visited.n + m, depth, hi - lo);
        x->stats.depth = depth;
        goto done;
      }
      x->stats.memory_bytes = MAX (x->stats.memory_bytes, bfs_memory (x, wks, n));
    }
    xspool_truncate (&x->fresh_fps);
    if (x->n_states >= G_MAXUINT32 - 1) {
      r->verdict = SIM_EXPLORE_UNKNOWN;
      r->what = g_strdup ("reached 2^32 distinct states, the most a search keeps");
      goto done;
    }
  }
  r->verdict = SIM_EXPLORE_PASS;
done:
  x->stats.disk_bytes = x->store.written;
  for (int i = 0; i < n; i++)
    worker_clear (&wks[i]);
  g_free (wks);
}

/* ---- Depth first, iterative deepening -------------------------------------*/

typedef struct {
  Explorer *x;
  Checker ck;
  int limit;
  gboolean is_cut;       /* some state had choices left at the limit */
  GArray *stack;         /* SimChoice of the current path */
  char *what;
  GArray *bad_path;      /* SimChoice */
  gboolean is_over;      /* a violation or a limit ended the search */
  char *unknown;
  Worker slots;          /* its cache: the world of each depth of the path */
} Dfs;

/* Visits the state in s->slots.cache[depth]; its children are made in the
 * next slot, as breadth first makes them. */
static gboolean
dfs_visit (Dfs *s, int depth)
{
  Explorer *x = s->x;
  SimWorld *w = s->slots.cache[depth].w;
  g_autoptr (GArray) queued = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  g_autoptr (GArray) choices = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  choices_enabled (x, w, s->slots.cache[depth].used, queued, choices);
  if (is_deadlocked (x, w, queued, choices)) {
    char *why = deadlock_violation (w);
    if (why != NULL) {
      s->what = why;
      s->bad_path = g_array_copy (s->stack);
      return TRUE;
    }
  }
  if (depth >= s->limit) {
    if (choices->len > 0)
      s->is_cut = TRUE;
    return FALSE;
  }
  guint parent_events = chk_history_len (w->history);
  for (guint i = 0; i < choices->len; i++) {
    const SimChoice *c = &g_array_index (choices, SimChoice, i);
    SimWorld *child = worker_step (&s->slots, depth + 1, c, NO_ID);
    x->stats.generated++;
    x->stats.depth_reached = MAX (x->stats.depth_reached, depth + 1);
    Used cu = s->slots.cache[depth + 1].used;
    uint64_t hist = history_hash (child->history, 0);
    g_array_append_val (s->stack, *c);
    char *why = state_violation (&s->ck, child, parent_events, hist);
    if (why != NULL) {
      s->what = why;
      s->bad_path = g_array_copy (s->stack);
      return TRUE;
    }
    if (fpset_add (&x->seen, state_fp (x, child, cu, hist, 0, s->slots.cache[depth + 1].parts),
                     depth + 1)) {
      x->stats.distinct = MAX (x->stats.distinct, x->seen.n);
      if (x->b->max_states > 0 && x->seen.n >= (uint64_t) x->b->max_states) {
        s->unknown = g_strdup_printf ("reached the bound of %" G_GINT64_FORMAT " distinct "
                                      "states at depth limit %d", x->b->max_states, s->limit);
        return TRUE;
      }
      if (x->opt.max_memory_bytes > 0 && fpset_bytes (&x->seen) >= x->opt.max_memory_bytes) {
        g_autofree char *limit = memory_limit_text (x->opt.max_memory_bytes);
        s->unknown = g_strdup_printf ("reached --max-memory (%s) at depth limit %d", limit, s->limit);
        return TRUE;
      }
      if ((x->stats.generated & 0xfff) == 0 && out_of_time (x)) {
        g_autofree char *limit = timeout_text (x);
        s->unknown = g_strdup_printf ("%s at depth limit %d", limit, s->limit);
        return TRUE;
      }
      if (x->opt.progress != NULL && (x->stats.generated & 0xffff) == 0)
        x->opt.progress (&x->stats, x->opt.progress_data);
      if (dfs_visit (s, depth + 1))
        return TRUE;
    }
    g_array_set_size (s->stack, s->stack->len - 1);
  }
  return FALSE;
}

static void
dfs (Explorer *x, SimExploreResult *r)
{
  Dfs s = { .x = x };
  checker_init (&s.ck, x);
  worker_init (&s.slots, x);
  s.stack = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  r->verdict = SIM_EXPLORE_PASS;
  for (int limit = 1; limit <= x->b->depth; limit++) {
    s.limit = limit;
    s.is_cut = FALSE;
    g_array_set_size (s.stack, 0);
    fpset_clear (&x->seen);
    fpset_init (&x->seen, x->b->fingerprint_bits / 64, TRUE);
    Used u0 = { 0 };
    fpset_add (&x->seen, state_fp (x, x->root, u0, history_hash (x->root->history, 0), 0, NULL), 0);
    gboolean stop = dfs_visit (&s, 0);
    x->stats.memory_bytes = MAX (x->stats.memory_bytes,
                                 fpset_bytes (&x->seen) + (uint64_t) limit * x->world_bytes);
    x->stats.lin_checks = s.ck.lin_checks;
    if (s.what != NULL) {
      r->verdict = SIM_EXPLORE_VIOLATION;
      r->what = g_steal_pointer (&s.what);
      r->path = g_array_new (FALSE, FALSE, sizeof (SimPinnedChoice));
      g_array_append_vals (r->path, x->root_path->data, x->root_path->len);
      for (guint i = 0; i < s.bad_path->len; i++) {
        SimPinnedChoice p;
        sim_pinned_of_choice (&g_array_index (s.bad_path, SimChoice, i), &p);
        g_array_append_val (r->path, p);
      }
      break;
    }
    if (stop) {
      r->verdict = SIM_EXPLORE_UNKNOWN;
      r->what = g_steal_pointer (&s.unknown);
      break;
    }
    x->stats.depth = limit;
    x->stats.distinct = x->seen.n;
    if (!s.is_cut) {
      x->stats.is_complete = TRUE;
      break;
    }
  }
  if (s.bad_path != NULL)
    g_array_unref (s.bad_path);
  g_array_unref (s.stack);
  g_free (s.unknown);
  checker_clear (&s.ck);
  worker_clear (&s.slots);
}

/* ---- Random walks ---------------------------------------------------------*/

typedef struct {
  Explorer *x;
  Checker ck;
  uint64_t first, step;  /* walks first, first + step, ... */
  uint64_t generated;
  uint64_t bad_walk;     /* walk number of the violation (UINT64_MAX: none) */
  char *what;
  GArray *bad_path;      /* SimChoice */
  int depth_reached;
  uint64_t walks;        /* walks started */
  gboolean timed_out;
} Walker;

static gpointer
walker_run (gpointer data)
{
  Walker *wk = data;
  Explorer *x = wk->x;
  g_autoptr (GArray) queued = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  g_autoptr (GArray) choices = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  g_autoptr (GArray) path = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  for (uint64_t k = wk->first; k < (uint64_t) x->b->walks; k += wk->step) {
    if (k % (uint64_t) x->opt.shard_count != (uint64_t) x->opt.shard_index)
      continue;
    if (out_of_time (x)) {
      wk->timed_out = TRUE;
      break;
    }
    wk->walks++;
    Pcg32 rng;
    pcg32_seed (&rng, pcg32_derive (x->opt.seed, 0x3a1c, (uint32_t) k), k >> 32);
    g_autoptr (SimWorld) w = sim_world_clone (x->root);
    Used u = { 0 };
    g_array_set_size (path, 0);
    for (int d = 0; d < x->b->depth; d++) {
      choices_enabled (x, w, u, queued, choices);
      char *why = NULL;
      if (choices->len == 0) {
        if (is_deadlocked (x, w, queued, choices))
          why = deadlock_violation (w);
      } else {
        guint parent_events = chk_history_len (w->history);
        SimChoice c = g_array_index (choices, SimChoice,
                                     pcg32_range (&rng, 0, (int64_t) choices->len - 1));
        gboolean ok = sim_world_apply (w, &c);
        g_assert (ok);
        g_array_append_val (path, c);
        wk->generated++;
        wk->depth_reached = MAX (wk->depth_reached, d + 1);
        u = used_after (u, &c);
        uint64_t hist = history_hash (w->history, 0);
        why = state_violation (&wk->ck, w, parent_events, hist);
        Fp f = state_fp (x, w, u, hist, 0, NULL);
        g_mutex_lock (&x->lock);
        fpset_add (&x->seen, f, 0);
        g_mutex_unlock (&x->lock);
      }
      if (why != NULL) {
        wk->what = why;
        wk->bad_walk = k;
        wk->bad_path = g_array_copy (path);
        return NULL;
      }
      if (choices->len == 0)
        break;
    }
  }
  return NULL;
}

static void
random_walks (Explorer *x, SimExploreResult *r)
{
  int n = MAX (x->opt.threads, 1);
  Walker *wks = g_new0 (Walker, n);
  GThread **threads = g_new0 (GThread *, n);
  for (int i = 0; i < n; i++) {
    wks[i].x = x;
    checker_init (&wks[i].ck, x);
    wks[i].first = (uint64_t) i;
    wks[i].step = (uint64_t) n;
    wks[i].bad_walk = UINT64_MAX;
    if (n > 1)
      threads[i] = g_thread_try_new ("walk", walker_run, &wks[i], NULL); /* dsim-allow-nondeterminism: workers around worlds */
    /* One thread, or no room for another: this one walks. */
    if (threads[i] == NULL)
      walker_run (&wks[i]);
  }
  Walker *best = NULL;
  uint64_t walked = 0;
  gboolean timed_out = FALSE;
  for (int i = 0; i < n; i++) {
    if (threads[i] != NULL)
      g_thread_join (threads[i]);
    x->stats.generated += wks[i].generated;
    x->stats.lin_checks += wks[i].ck.lin_checks;
    x->stats.depth_reached = MAX (x->stats.depth_reached, wks[i].depth_reached);
    if (wks[i].what != NULL && (best == NULL || wks[i].bad_walk < best->bad_walk))
      best = &wks[i];
    walked += wks[i].walks;
    timed_out |= wks[i].timed_out;
  }
  x->stats.distinct = x->seen.n;
  x->stats.memory_bytes = fpset_bytes (&x->seen) + (uint64_t) n * x->world_bytes;
  if (best != NULL) {
    r->verdict = SIM_EXPLORE_VIOLATION;
    r->what = g_strdup_printf ("%s (walk %" G_GUINT64_FORMAT ")", best->what, best->bad_walk + 1);
    r->path = g_array_new (FALSE, FALSE, sizeof (SimPinnedChoice));
    g_array_append_vals (r->path, x->root_path->data, x->root_path->len);
    for (guint i = 0; i < best->bad_path->len; i++) {
      SimPinnedChoice p;
      sim_pinned_of_choice (&g_array_index (best->bad_path, SimChoice, i), &p);
      g_array_append_val (r->path, p);
    }
  } else if (timed_out) {
    g_autofree char *limit = timeout_text (x);
    r->verdict = SIM_EXPLORE_UNKNOWN;
    r->what = g_strdup_printf ("%s after %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT " random "
                               "walks, which found no violation", limit, walked, x->b->walks);
  } else {
    r->verdict = SIM_EXPLORE_UNKNOWN;
    r->what = g_strdup_printf ("%" G_GINT64_FORMAT " random walks of up to %d choices found no "
                               "violation; walks sample the space, they do not cover it",
                               x->b->walks, x->b->depth);
  }
  for (int i = 0; i < n; i++) {
    g_free (wks[i].what);
    if (wks[i].bad_path != NULL)
      g_array_unref (wks[i].bad_path);
    checker_clear (&wks[i].ck);
  }
  g_free (threads);
  g_free (wks);
}

/* ---- Entry ----------------------------------------------------------------*/

void
sim_explore_options_init (SimExploreOptions *opt, const SimConfig *cfg)
{
  memset (opt, 0, sizeof *opt);
  opt->bounds = cfg->explore;
  opt->threads = 1;
  opt->shard_index = 0;
  opt->shard_count = 1;
  opt->seed = cfg->seed;
}

SimExploreResult *
sim_explore_run (const SimConfig *cfg, const SimExploreOptions *opt)
{
  SimExploreResult *r = g_new0 (SimExploreResult, 1);
  Explorer x = { 0 };
  x.cfg = sim_config_copy (cfg);
  gboolean from_replay = opt->bounds.from_replay && cfg->replay->len > 0;
  if (!from_replay)
    g_array_set_size (x.cfg->replay, 0);
  sim_explore_config_prepare (x.cfg);
  x.opt = *opt;
  x.opt.threads = MAX (x.opt.threads, 1);
  x.opt.shard_count = MAX (x.opt.shard_count, 1);
  x.b = &x.opt.bounds;
  g_assert (x.b->fingerprint_bits == 64 || x.b->fingerprint_bits == 128);
  g_assert (x.b->depth >= 1);
  g_mutex_init (&x.lock);
  x.por = x.b->por && x.b->strategy == SIM_EXPLORE_BFS
          && x.cfg->storage.disk_latency_max_us <= 0;
  xstore_init (&x.store, x.opt.tmp_dir);
  xspool_init (&x.recs, &x.store, 64 << 10);
  xspool_init (&x.fresh_fps, &x.store, 64 << 10);
  xvisited_init (&x.visited, x.b->fingerprint_bits / 64);
  xsort_init (&x.children, &x.store, 256 << 10);
  xsort_init (&x.fresh_states, &x.store, 256 << 10);
  for (int k = 0; k < 2; k++)
    xspool_init (&x.sleep[k], &x.store, 64 << 10);
  xwindow_init (&x.sleep_win, &x.sleep[0], 16 << 10);
  x.round_keys = g_array_new (FALSE, FALSE, sizeof (uint64_t));
  x.round_spans = g_array_new (FALSE, FALSE, sizeof (PorSpan));
  x.stats.is_reduced = x.por;
  if (x.cfg->workload.n_clients > 0
      && g_strv_contains ((const char *const *) x.cfg->check_models, "linearizable"))
    x.lin = chk_checker_find ("linearizable");
  for (int n = 0; n < x.cfg->n_nodes; n++) {
    x.crash[n] = (SimFault) { .kind = SIM_FAULT_CRASH, .node = n };
    x.restart[n] = (SimFault) { .kind = SIM_FAULT_RESTART, .node = n };
  }
  const ProtoVTable *vt = x.cfg->proto;
  x.world_bytes = sizeof (SimWorld) + vt->state_size * (uint64_t) x.cfg->n_nodes + vt->ghost_size
                  + vt->client_state_size * (uint64_t) x.cfg->workload.n_clients + 4096;

  /* The start: every node boots, in order; or, with from_replay, the
   * state at the end of the [replay] section (a directed search: every
   * path starts with those choices, and the budgets count what follows). */
  x.root = sim_world_new (x.cfg, x.cfg->seed);
  x.root_path = g_array_new (FALSE, FALSE, sizeof (SimPinnedChoice));
  g_autoptr (GArray) queued = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  g_autoptr (GError) prefix_error = NULL;
  if (from_replay) {
    if (sim_world_replay (x.root, &prefix_error))
      g_array_append_vals (x.root_path, x.cfg->replay->data, x.cfg->replay->len);
  } else {
    sim_world_enabled (x.root, queued);
  }
  for (guint i = 0; i < queued->len; i++) {
    const SimChoice *c = &g_array_index (queued, SimChoice, i);
    if (c->kind != SIM_CHOICE_START)
      continue;
    gboolean ok = sim_world_apply (x.root, c);
    g_assert (ok);
    SimPinnedChoice p;
    sim_pinned_of_choice (c, &p);
    g_array_append_val (x.root_path, p);
  }
  if (x.b->strategy != SIM_EXPLORE_BFS) {
    fpset_init (&x.seen, x.b->fingerprint_bits / 64, FALSE);
    Used u0 = { 0 };
    fpset_add (&x.seen, state_fp (&x, x.root, u0, history_hash (x.root->history, 0), 0, NULL),
               0);
  }
  x.stats.distinct = 1;
  x.stats.generated = 1;

  if (prefix_error != NULL) {
    r->verdict = SIM_EXPLORE_UNKNOWN;
    r->what = g_strdup (prefix_error->message);
  } else if (x.root->failure != NULL) {
    Checker ck;
    checker_init (&ck, &x);
    r->verdict = SIM_EXPLORE_VIOLATION;
    r->what = state_violation (&ck, x.root, 0, 0);
    r->path = g_array_copy (x.root_path);
    checker_clear (&ck);
  } else if (x.b->strategy == SIM_EXPLORE_BFS) {
    bfs (&x, r);
  } else if (x.b->strategy == SIM_EXPLORE_DFS) {
    dfs (&x, r);
  } else {
    random_walks (&x, r);
  }
  x.stats.missed_probability = sim_explore_missed_probability (
      x.stats.distinct, x.stats.generated, x.b->fingerprint_bits);
  r->stats = x.stats;

  fpset_clear (&x.seen);
  xspool_clear (&x.recs);
  xspool_clear (&x.fresh_fps);
  xvisited_clear (&x.visited);
  xsort_clear (&x.children);
  xsort_clear (&x.fresh_states);
  xwindow_clear (&x.sleep_win);
  for (int k = 0; k < 2; k++)
    xspool_clear (&x.sleep[k]);
  g_array_unref (x.round_keys);
  g_array_unref (x.round_spans);
  xstore_clear (&x.store);
  g_array_unref (x.root_path);
  sim_world_free (x.root);
  sim_config_free (x.cfg);
  g_mutex_clear (&x.lock);
  return r;
}

void
sim_explore_result_free (SimExploreResult *r)
{
  if (r == NULL)
    return;
  g_free (r->what);
  if (r->path != NULL)
    g_array_unref (r->path);
  g_free (r);
}
