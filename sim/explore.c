/* explore.c: the search of `dsim explore` (see explore.h).
 *
 * Breadth first, level by level.  Every distinct state is kept as 8 bytes,
 * its parent's number and the index of the choice that first reached it
 * among the parent's enabled choices, not as a world: a world of 3-node
 * Raft is well over a hundred kilobytes.  To expand a
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
 * merges the lists in slice order before the next round, so which states
 * are new, their numbers and the reported counterexample do
 * not depend on the number of threads. */
#include "sim/explore.h"
#include "sim/world_internal.h"
#include "checkers/check.h"
#include "protocols/mix64.h"

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

static gboolean
fpset_contains (const FpSet *s, Fp f)
{
  return fpset_find (s, fp_norm (f)) != UINT64_MAX;
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
  GArray *recs;                /* Rec; [0] is the root */
  FpSet seen;
  SimExploreStats stats;
  uint64_t world_bytes;        /* rough size of one world */
  GMutex lock;                 /* random walks: the visited set */
  /* Partial-order reduction (breadth first): the sleep sets of the level
   * being expanded (cur, indexed from por_lo) and of the next one. */
  gboolean por;
  uint64_t por_lo;
  GArray *por_keys[2], *por_spans[2]; /* uint64_t, PorSpan */
  int por_cur;
  GHashTable *por_index;       /* next level: fingerprint -> span index */
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
    g_array_append_val (out, c);
    if (c.kind == SIM_CHOICE_DELIVER) {
      if (u.drops < b->drops) {
        c.kind = SIM_CHOICE_DROP;
        g_array_append_val (out, c);
      }
      if (u.duplicates < b->duplicates) {
        c.kind = SIM_CHOICE_DUPLICATE;
        g_array_append_val (out, c);
      }
    }
  }
  for (int n = 0; n < w->n_nodes; n++) {
    gboolean up = w->nodes[n].is_up;
    if (up && u.crashes < b->crashes) {
      SimChoice c = { .kind = SIM_CHOICE_INJECT, .endpoint = n, .fault = &x->crash[n] };
      g_array_append_val (out, c);
    }
    if (!up && u.restarts < b->restarts) {
      SimChoice c = { .kind = SIM_CHOICE_INJECT, .endpoint = n, .fault = &x->restart[n] };
      g_array_append_val (out, c);
    }
  }
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

/* What the protocol's ghost remembers: its bytes, four words at a time in
 * independent lanes, or the protocol's own digest when the ghost holds
 * pointers (ghost_copy); left out if such a ghost has no digest. */
static uint64_t
ghost_hash (const SimWorld *w, uint64_t seed)
{
  if (w->vt->ghost_copy != NULL)
    return w->vt->ghost_digest != NULL ? hash_add (seed, w->vt->ghost_digest (w->ghost)) : seed;
  /* Up to the ghost's extent, which its own bytes determine: equal
   * ghosts, equal lengths. */
  size_t len = sim_ghost_extent (w);
  uint64_t a = mix64 (seed + 0x77), b = a ^ 0x9e3779b97f4a7c15ULL, c = a + 1, d = b + 1;
  const uint8_t *p = w->ghost;
  size_t i = 0;
  for (; i + 32 <= len; i += 32) {
    uint64_t v[4];
    memcpy (v, p + i, 32);
    a = (a ^ v[0]) * 0x100000001b3ULL;
    b = (b ^ v[1]) * 0x100000001b3ULL;
    c = (c ^ v[2]) * 0x100000001b3ULL;
    d = (d ^ v[3]) * 0x100000001b3ULL;
    a ^= a >> 31;
    b ^= b >> 31;
    c ^= c >> 31;
    d ^= d >> 31;
  }
  for (; i < len; i++)
    a = (a ^ p[i]) * 0x100000001b3ULL;
  return hash_add (hash_add (hash_add (hash_add (len, a), b), c), d);
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
 * in any state; 0 for a choice dependent on every other. */
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
  for (guint i = 0; i < w->net.n_slots; i++) {
    const SimMsg *m = &w->net.slots[i];
    if (m->id != c->id)
      continue;
    const uint8_t *p = sim_msg_data (m);
    uint64_t h = mix64 ((uint64_t) (uint32_t) m->from << 32 | m->len);
    uint32_t k = 0;
    for (; k + 8 <= m->len; k += 8) {
      uint64_t v;
      memcpy (&v, p + k, 8);
      h = hash_add (h, v);
    }
    for (; k < m->len; k++)
      h = hash_add (h, p[k]);
    h = hash_add (h, (uint64_t) c->endpoint);
    return cls << 56 | (h & ((UINT64_C (1) << 56) - 1));
  }
  return 0;
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

/* ---- Breadth first --------------------------------------------------------*/

typedef struct {
  Fp fp;
  Rec rec;
  uint32_t sleep_off, sleep_len; /* its sleep set in the worker's sleep_out */
} Child;

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
  uint32_t *anc;
  GArray *queued;
  /* This level: */
  uint64_t lo, hi;          /* the slice of the frontier */
  int depth;
  int shard_level;          /* this level keeps only this shard's states */
  GArray *out;              /* Child */
  uint64_t generated;
  char *bad_what;           /* the first violation among out's children */
  guint bad_pos;            /* its position in out; G_MAXUINT: none */
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
  for (int d = 0; d < x->b->depth + 2; d++) {
    wk->cache[d].parts = g_new0 (uint64_t, 2 * (size_t) x->root->n_nodes);
    wk->cache[d].choices = g_array_new (FALSE, FALSE, sizeof (SimChoice));
    wk->cache[d].queued = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  }
  for (int n = 0; n < x->root->n_nodes; n++)
    sim_world_node_digest (x->root, n, wk->cache[0].parts + 2 * n);
  wk->anc = g_new0 (uint32_t, x->b->depth + 2);
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
  }
  g_free (wk->cache);
  g_free (wk->anc);
  g_array_unref (wk->queued);
  g_array_unref (wk->out);
  g_array_unref (wk->sleep_out);
  g_array_unref (wk->sleep_done);
  g_free (wk->bad_what);
  g_free (wk->deadlock_what);
  checker_clear (&wk->ck);
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

/* The sleep set of state `id` of the level being expanded. */
static void
por_sleep_of (const Explorer *x, uint64_t id, const uint64_t **keys, guint *n)
{
  const GArray *spans = x->por_spans[x->por_cur];
  *keys = NULL;
  *n = 0;
  if (id - x->por_lo >= spans->len)
    return;
  PorSpan sp = g_array_index (spans, PorSpan, (guint) (id - x->por_lo));
  *keys = (const uint64_t *) (void *) x->por_keys[x->por_cur]->data + sp.off;
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

/* Main thread, merging a level's children: a new state takes the child's
 * sleep set; a state reached again in the same level keeps what both
 * sets hold (dropping a key only tries more). */
static void
por_merge (Explorer *x, const Worker *wk, const Child *ch, gboolean is_new)
{
  GArray *keys = x->por_keys[!x->por_cur], *spans = x->por_spans[!x->por_cur];
  const uint64_t *mine = (const uint64_t *) (void *) wk->sleep_out->data + ch->sleep_off;
  if (is_new) {
    PorSpan sp = { keys->len, ch->sleep_len };
    g_array_append_vals (keys, mine, ch->sleep_len);
    g_hash_table_insert (x->por_index, g_memdup2 (&ch->fp.lo, sizeof (uint64_t)),
                         GUINT_TO_POINTER (spans->len + 1));
    g_array_append_val (spans, sp);
    return;
  }
  guint at = GPOINTER_TO_UINT (g_hash_table_lookup (x->por_index, &ch->fp.lo));
  if (at == 0)
    return;
  PorSpan *sp = &g_array_index (spans, PorSpan, at - 1);
  uint64_t *have = (uint64_t *) (void *) keys->data + sp->off;
  guint kept = 0;
  for (guint k = 0; k < sp->len; k++)
    if (por_has (mine, ch->sleep_len, have[k]))
      have[kept++] = have[k];
  sp->len = kept;
}

/* The next level becomes the one to expand, from state number lo. */
static void
por_next_level (Explorer *x, uint64_t lo)
{
  x->por_cur = !x->por_cur;
  x->por_lo = lo;
  g_array_set_size (x->por_keys[!x->por_cur], 0);
  g_array_set_size (x->por_spans[!x->por_cur], 0);
  g_hash_table_remove_all (x->por_index);
}

/* The world of state `id` at depth `depth`, rebuilt from the deepest
 * cached ancestor. */
static CacheSlot *
worker_world (Worker *wk, uint32_t id, int depth)
{
  const Rec *recs = (const Rec *) (void *) wk->x->recs->data;
  uint32_t a = id;
  for (int d = depth; d >= 0; d--) {
    wk->anc[d] = a;
    a = recs[a].parent;
  }
  int k = 0;
  while (k + 1 < wk->cache_valid && k + 1 <= depth && wk->cache[k + 1].id == wk->anc[k + 1])
    k++;
  for (int d = k + 1; d <= depth; d++) {
    worker_choices (wk, d - 1);
    const GArray *choices = wk->cache[d - 1].choices;
    uint32_t index = recs[wk->anc[d]].index;
    g_assert (index < choices->len);
    worker_step (wk, d, &g_array_index (choices, SimChoice, index), wk->anc[d]);
  }
  wk->cache_valid = depth + 1;
  return &wk->cache[depth];
}

static gpointer
worker_expand (gpointer data)
{
  Worker *wk = data;
  Explorer *x = wk->x;
  uint64_t shard_i = 0;
  for (uint64_t id = wk->lo; id < wk->hi; id++) {
    if (wk->shard_level && (id % (uint64_t) x->opt.shard_count) != (uint64_t) x->opt.shard_index)
      continue;
    shard_i++;
    CacheSlot *slot = worker_world (wk, (uint32_t) id, wk->depth);
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
      Child ch = { .fp = state_fp (x, child, u, hist, ghost, wk->cache[wk->depth + 1].parts) };
      ch.rec = (Rec) { .parent = (uint32_t) id, .index = i };
      char *why = state_violation (&wk->ck, child, parent_events, hist);
      if (key != 0 && why == NULL && ghost == parent_ghost)
        por_child_sleep (wk, sleep, n_sleep, key, &ch);
      if (why != NULL) {
        if (wk->bad_what == NULL) {
          wk->bad_what = why;
          wk->bad_pos = wk->out->len;
        } else {
          g_free (why);
        }
      } else if (fpset_contains (&x->seen, ch.fp)
                 && !(x->por && g_hash_table_contains (x->por_index, &ch.fp.lo))) {
        continue; /* seen, and not a state of the next level whose sleep
                     set this child may narrow */
      }
      g_array_append_val (wk->out, ch);
    }
    if (x->opt.threads == 1 && x->opt.progress != NULL && (id & 0x3fff) == 0) {
      SimExploreStats st = x->stats;
      st.generated += wk->generated;
      st.distinct += wk->out->len;
      x->opt.progress (&st, x->opt.progress_data);
    }
  }
  return NULL;
}

/* The path from the start to state id (then to the child `last` of it, if
 * not NULL): the ancestors' records name each choice by its index, so the
 * path is replayed from the root to find the choices. */
static GArray *
path_of (const Explorer *x, uint32_t id, const Rec *last)
{
  GArray *path = g_array_new (FALSE, FALSE, sizeof (SimPinnedChoice));
  g_array_append_vals (path, x->root_path->data, x->root_path->len);
  const Rec *recs = (const Rec *) (void *) x->recs->data;
  g_autoptr (GArray) rev = g_array_new (FALSE, FALSE, sizeof (Rec));
  if (last != NULL)
    g_array_append_val (rev, *last);
  for (uint32_t a = id; a != 0; a = recs[a].parent)
    g_array_append_val (rev, recs[a]);
  g_autoptr (SimWorld) w = sim_world_clone (x->root);
  g_autoptr (GArray) queued = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  g_autoptr (GArray) choices = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  Used u = { 0 };
  for (guint i = rev->len; i-- > 0;) {
    choices_enabled (x, w, u, queued, choices);
    uint32_t index = g_array_index (rev, Rec, i).index;
    g_assert (index < choices->len);
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
  uint64_t m = (uint64_t) x->recs->len * sizeof (Rec) + fpset_bytes (&x->seen);
  if (x->por)
    for (int k = 0; k < 2; k++)
      m += (uint64_t) x->por_keys[k]->len * 8 + (uint64_t) x->por_spans[k]->len * sizeof (PorSpan);
  for (int i = 0; i < n; i++)
    m += (uint64_t) wks[i].out->len * sizeof (Child)
         + (uint64_t) wks[i].cache_valid * x->world_bytes;
  return m;
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
    /* The level goes in rounds of BFS_CHUNK states per worker, each round
     * merged before the next: the children waiting to be merged stay few,
     * and a worker skips those already merged at an earlier level (and,
     * without the reduction, in this level; with it, a state reached again
     * in this level still goes to the merge, which narrows its sleep set).
     * The order of the merged children is the order of their parents
     * either way, so rounds change nothing but memory. */
    char *bad_what = NULL;        /* the level's first broken child */
    GArray *bad_path = NULL;
    for (uint64_t next = lo; next < hi;) {
      GThread *threads[n];
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
        wk->bad_pos = G_MAXUINT;
        threads[i] = n > 1 ? g_thread_new ("explore", worker_expand, wk) : NULL; /* dsim-allow-nondeterminism: workers around worlds, results merged in order */
        if (n == 1)
          worker_expand (wk);
      }
      next = MIN (next + BFS_CHUNK * (uint64_t) n, hi);
      for (int i = 0; i < n; i++)
        if (threads[i] != NULL)
          g_thread_join (threads[i]);
      x->stats.depth_reached = depth + 1;
      /* A deadlocked state of this level is a shorter path than any broken
       * child: report it first (the first in the level's order). */
      for (int i = 0; i < n; i++)
        if (wks[i].deadlock_what != NULL) {
          r->verdict = SIM_EXPLORE_VIOLATION;
          r->what = g_steal_pointer (&wks[i].deadlock_what);
          r->path = path_of (x, wks[i].deadlock_at, NULL);
          g_free (bad_what);
          if (bad_path != NULL)
            g_array_unref (bad_path);
          goto done;
        }
      for (int i = 0; i < n; i++) {
        Worker *wk = &wks[i];
        x->stats.generated += wk->generated;
        x->stats.slept += wk->slept;
        wk->slept = 0;
        x->stats.lin_checks += wk->ck.lin_checks;
        wk->ck.lin_checks = 0;
        for (guint k = 0; k < wk->out->len && bad_what == NULL; k++) {
          const Child *ch = &g_array_index (wk->out, Child, k);
          if (k == wk->bad_pos) {
            fpset_add (&x->seen, ch->fp, 0);
            x->stats.distinct = x->seen.n;
            bad_what = g_steal_pointer (&wk->bad_what);
            bad_path = path_of (x, ch->rec.parent, &ch->rec);
            break;
          }
          gboolean is_new = fpset_add (&x->seen, ch->fp, 0);
          if (is_new)
            g_array_append_val (x->recs, ch->rec);
          if (is_new && x->opt.on_state != NULL)
            x->opt.on_state (ch->fp.lo, x->opt.on_state_data);
          if (x->por)
            por_merge (x, wk, ch, is_new);
        }
      }
      x->stats.memory_bytes = MAX (x->stats.memory_bytes, bfs_memory (x, wks, n));
    }
    if (bad_what != NULL) {
      r->verdict = SIM_EXPLORE_VIOLATION;
      r->what = bad_what;
      r->path = bad_path;
      goto done;
    }
    x->stats.distinct = x->seen.n;
    x->stats.memory_bytes = MAX (x->stats.memory_bytes, bfs_memory (x, wks, n));
    if (x->opt.progress != NULL)
      x->opt.progress (&x->stats, x->opt.progress_data);
    lo = hi;
    hi = x->recs->len;
    depth++;
    if (x->por)
      por_next_level (x, lo);
    if (x->b->max_states > 0 && x->stats.distinct >= (uint64_t) x->b->max_states && lo < hi) {
      r->verdict = SIM_EXPLORE_UNKNOWN;
      r->what = g_strdup_printf ("reached the bound of %" G_GINT64_FORMAT " distinct states "
                                 "(depth %d explored completely); raise [explore] states or "
                                 "--max-states", x->b->max_states, depth);
      x->stats.depth = depth;
      goto done;
    }
    if (x->opt.max_memory_bytes > 0 && x->stats.memory_bytes >= x->opt.max_memory_bytes
        && lo < hi) {
      r->verdict = SIM_EXPLORE_UNKNOWN;
      r->what = g_strdup_printf ("reached --max-memory (%" G_GUINT64_FORMAT " MB) after depth %d "
                                 "with %" G_GUINT64_FORMAT " states still to expand",
                                 x->opt.max_memory_bytes >> 20, depth, hi - lo);
      x->stats.depth = depth;
      goto done;
    }
    if (x->recs->len >= G_MAXUINT32 - 1) {
      r->verdict = SIM_EXPLORE_UNKNOWN;
      r->what = g_strdup ("reached 2^32 distinct states, the most a search keeps");
      goto done;
    }
  }
  r->verdict = SIM_EXPLORE_PASS;
done:
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
        s->unknown = g_strdup_printf ("reached --max-memory (%" G_GUINT64_FORMAT " MB) at depth "
                                      "limit %d", x->opt.max_memory_bytes >> 20, s->limit);
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
      threads[i] = g_thread_new ("walk", walker_run, &wks[i]); /* dsim-allow-nondeterminism: workers around worlds */
    else
      walker_run (&wks[i]);
  }
  Walker *best = NULL;
  for (int i = 0; i < n; i++) {
    if (threads[i] != NULL)
      g_thread_join (threads[i]);
    x->stats.generated += wks[i].generated;
    x->stats.lin_checks += wks[i].ck.lin_checks;
    x->stats.depth_reached = MAX (x->stats.depth_reached, wks[i].depth_reached);
    if (wks[i].what != NULL && (best == NULL || wks[i].bad_walk < best->bad_walk))
      best = &wks[i];
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
  for (int k = 0; k < 2; k++) {
    x.por_keys[k] = g_array_new (FALSE, FALSE, sizeof (uint64_t));
    x.por_spans[k] = g_array_new (FALSE, FALSE, sizeof (PorSpan));
  }
  x.por_index = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
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
  x.recs = g_array_new (FALSE, FALSE, sizeof (Rec));
  Rec root_rec = { 0 };
  g_array_append_val (x.recs, root_rec);
  fpset_init (&x.seen, x.b->fingerprint_bits / 64, FALSE);
  Used u0 = { 0 };
  fpset_add (&x.seen, state_fp (&x, x.root, u0, history_hash (x.root->history, 0), 0, NULL), 0);
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
  g_array_unref (x.recs);
  g_array_unref (x.root_path);
  sim_world_free (x.root);
  sim_config_free (x.cfg);
  g_mutex_clear (&x.lock);
  for (int k = 0; k < 2; k++) {
    g_array_unref (x.por_keys[k]);
    g_array_unref (x.por_spans[k]);
  }
  g_hash_table_unref (x.por_index);
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
