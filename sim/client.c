/* client.c: the workload: clients with one operation outstanding each
 * (Jepsen style), their operation mix, think time or target rate, client
 * timeouts, retries with exponential backoff and full jitter, idempotency
 * keys, and recording every invocation and completion into the history.
 *
 * Client i is endpoint n_nodes + i.  Its protocol side (how an operation
 * becomes requests) is the protocol's client stub; this file decides when
 * operations start, when attempts are retried and when the client gives up.
 *
 * An operation that times out is recorded as info and the client continues
 * as a new process (process += n_clients): the old operation may still take
 * effect, so the same process must not invoke again (Jepsen does the same). */
#include "sim/world_internal.h"
#include "checkers/ops.h"

#include <string.h>

#define ATTEMPT_BITS 24

static uint64_t
attempt_tag (const SimClient *cl)
{
  return (cl->op_number << ATTEMPT_BITS) | (uint64_t) (cl->attempt & ((1 << ATTEMPT_BITS) - 1));
}

static gboolean
budget_left (const SimWorld *w)
{
  return w->cfg->workload.ops <= 0 || w->ops_started < (uint64_t) w->cfg->workload.ops;
}

static int64_t
rate_interval_us (const SimWorld *w)
{
  const SimWorkloadConfig *wl = &w->cfg->workload;
  double us = (double) w->n_clients * 1e6 / wl->rate_per_s;
  return us < 1e15 ? MAX ((int64_t) us, 1) : (int64_t) 1e15;
}

/* The virtual time at which client c's own clock has moved on by d_us from
 * now: its timeouts, think times and backoffs run on its clock (skew and
 * drift, sim_clock_set).  A clock that jumps later does not move events
 * already queued. */
static int64_t
client_after (const SimWorld *w, int c, int64_t d_us)
{
  int e = w->n_nodes + c;
  int64_t local = sim_node_local_time (w, e, w->stats.now_us);
  return MAX (sim_endpoint_virtual_time (w, e, local + d_us), w->stats.now_us);
}

void
sim_clients_init (SimWorld *w)
{
  const SimWorkloadConfig *wl = &w->cfg->workload;
  w->history = chk_history_new ();
  w->key_ids = g_new0 (int32_t, wl->n_keys);
  w->written = g_new0 (GArray *, wl->n_keys);
  for (int k = 0; k < wl->n_keys; k++) {
    w->key_ids[k] = chk_history_intern (w->history, wl->key_names[k]);
    w->written[k] = g_array_new (FALSE, FALSE, sizeof (int64_t));
  }
  w->next_value = 1;
  for (int f = 0; f < PROTO_OP__COUNT; f++)
    if ((w->vt->ops_supported & (1u << f)) && wl->mix[f] > 0)
      w->ops_mask |= 1u << f;
  gboolean can_run = w->vt->client_step != NULL && w->ops_mask != 0;
  for (int c = 0; c < w->n_clients; c++) {
    SimClient *cl = &w->clients[c];
    int e = w->n_nodes + c;
    cl->process = c;
    pcg32_seed (&cl->rng, pcg32_derive (w->seed, SIM_STREAM_CLIENT, (uint32_t) c), (uint64_t) c);
    pcg32_seed (&cl->ops_rng, pcg32_derive (w->seed, SIM_STREAM_WORKLOAD, (uint32_t) c),
                (uint64_t) c);
    w->ctxs[e].seed = pcg32_derive (w->seed, SIM_STREAM_CLIENT_CTX, (uint32_t) c);
    if (!can_run)
      continue;
    /* Clients start spread over one think time (or one rate interval). */
    int64_t spread = wl->rate_per_s > 0 ? rate_interval_us (w) : wl->think_us;
    int64_t at = MAX (wl->start_us, 0) + (spread > 0 ? pcg32_range (&cl->rng, 0, spread) : 0);
    cl->next_due_us = at;
    if (wl->stop_us == 0 || at < wl->stop_us)
      sim_queue_push (&w->queue, at, SIM_CHOICE_INVOKE, e, 1);
  }
}

void
sim_clients_clear (SimWorld *w)
{
  for (int k = 0; k < w->cfg->workload.n_keys; k++)
    if (w->written != NULL && w->written[k] != NULL)
      g_array_unref (w->written[k]);
  g_free (w->written);
  g_free (w->key_ids);
  chk_history_free (w->history);
}

gboolean
sim_client_event_is_live (const SimWorld *w, const SimEvent *ev)
{
  const SimClient *cl = &w->clients[ev->a - w->n_nodes];
  switch ((SimChoiceKind) ev->kind) {
  case SIM_CHOICE_INVOKE:
    return !cl->is_open && cl->op_number + 1 == ev->b && budget_left (w);
  case SIM_CHOICE_ATTEMPT_TIMEOUT:
  case SIM_CHOICE_RETRY:
    return cl->is_open && attempt_tag (cl) == ev->b;
  case SIM_CHOICE_OP_TIMEOUT:
    return cl->is_open && cl->op_number == ev->b;
  default:
    g_assert_not_reached ();
  }
}

void
sim_op_describe (const SimWorld *w, const ProtoOp *op, GString *out)
{
  static const char *const names[] = { "read", "write", "cas", "append" };
  const char *key = w->cfg->workload.key_names[op->key];
  switch (op->f) {
  case PROTO_OP_READ:
    g_string_append_printf (out, "read %s", key);
    break;
  case PROTO_OP_CAS:
    g_string_append_printf (out, "cas %s %" G_GINT64_FORMAT "->%" G_GINT64_FORMAT, key,
                            op->expect, op->value);
    break;
  default:
    g_string_append_printf (out, "%s %s %" G_GINT64_FORMAT, names[op->f], key, op->value);
    break;
  }
}

static void
trace_client (SimWorld *w, int c, const char *kind, const char *suffix)
{
  if (!w->trace.is_on)
    return;
  int e = w->n_nodes + c;
  g_string_truncate (w->trace.label, 0);
  sim_op_describe (w, &w->clients[c].op, w->trace.label);
  if (suffix != NULL)
    g_string_append (w->trace.label, suffix);
  sim_trace_begin (w, e, kind);
  sim_trace_end (w, e);
}

static void
history_add (SimWorld *w, const SimClient *cl, ChkType type, ChkValue value)
{
  ChkEvent ev = {
    .process = cl->process,
    .type = type,
    .f = (ChkFn) cl->op.f, /* ProtoOpKind and ChkFn list read, write, cas, append alike */
    .f_name = -1,
    .key = w->key_ids[cl->op.key],
    .value = value,
    .time_us = w->stats.now_us,
    .index = -1,
  };
  chk_history_append (w->history, &ev);
  sim_world_touch (w, w->n_nodes + (int) (cl - w->clients));
}

/* Draws the next operation of client c from the mix. */
static void
op_draw (SimWorld *w, SimClient *cl, int c)
{
  const SimWorkloadConfig *wl = &w->cfg->workload;
  double total = 0;
  for (int f = 0; f < PROTO_OP__COUNT; f++)
    if (w->ops_mask & (1u << f))
      total += wl->mix[f];
  double r = pcg32_double (&cl->ops_rng) * total;
  int f = -1;
  for (int i = 0; i < PROTO_OP__COUNT; i++)
    if (w->ops_mask & (1u << i)) {
      f = i;
      if (r < wl->mix[i])
        break;
      r -= wl->mix[i];
    }
  g_assert (f >= 0);
  int key = (int) pcg32_below (&cl->ops_rng, (uint32_t) wl->n_keys);
  GArray *written = w->written[key];
  if (f == PROTO_OP_CAS && written->len == 0)
    f = (w->ops_mask & (1u << PROTO_OP_WRITE)) ? PROTO_OP_WRITE : PROTO_OP_READ;

  ProtoOp *op = &cl->op;
  memset (op, 0, sizeof *op);
  op->f = (ProtoOpKind) f;
  op->key = key;
  op->client = (uint32_t) c;
  unsigned levels = wl->levels[f];
  if (levels != 0) {
    /* One of the kind's levels, uniformly; a single level draws nothing,
     * so the rest of the run is the same as with the knob. */
    int n = __builtin_popcount (levels);
    int pick = n > 1 ? (int) pcg32_below (&cl->ops_rng, (uint32_t) n) : 0;
    for (int l = 0; l < PROTO_LEVEL__COUNT; l++)
      if ((levels & (1u << l)) && pick-- == 0) {
        op->level = (uint32_t) l;
        break;
      }
  }
  cl->invoke_value = (ChkValue) { .kind = CHK_VAL_NIL };
  switch (op->f) {
  case PROTO_OP_READ:
    break;
  case PROTO_OP_CAS: {
    /* Expect one of the last few values written to the key, so that some
     * cas operations succeed and some fail. */
    guint recent = MIN (written->len, 8u);
    guint pick = written->len - 1 - pcg32_below (&cl->ops_rng, recent);
    op->expect = g_array_index (written, int64_t, pick);
    op->value = w->next_value++;
    cl->invoke_value = (ChkValue) { .kind = CHK_VAL_PAIR, .i = op->expect, .j = op->value };
    g_array_append_val (written, op->value);
    break;
  }
  case PROTO_OP_WRITE:
  case PROTO_OP_APPEND:
    op->value = w->next_value++;
    cl->invoke_value = (ChkValue) { .kind = CHK_VAL_INT, .i = op->value };
    if (op->f == PROTO_OP_WRITE)
      g_array_append_val (written, op->value);
    break;
  case PROTO_OP__COUNT:
    g_assert_not_reached ();
  }
}

static void
schedule_attempt_timeout (SimWorld *w, int c)
{
  const SimWorkloadConfig *wl = &w->cfg->workload;
  SimClient *cl = &w->clients[c];
  if (cl->attempt < wl->max_retries && wl->attempt_timeout_us > 0)
    sim_queue_push (&w->queue, client_after (w, c, wl->attempt_timeout_us),
                    SIM_CHOICE_ATTEMPT_TIMEOUT, w->n_nodes + c, attempt_tag (cl));
}

/* After an operation ends: the next one after the think time, or when the
 * target rate has it due. */
static void
schedule_next (SimWorld *w, int c)
{
  const SimWorkloadConfig *wl = &w->cfg->workload;
  SimClient *cl = &w->clients[c];
  if (!budget_left (w))
    return;
  int64_t at;
  if (wl->rate_per_s > 0) {
    at = MAX (w->stats.now_us, cl->next_due_us);
  } else {
    int64_t think = MAX (wl->think_us, 0);
    at = client_after (w, c, think > 0 ? pcg32_range (&cl->rng, 0, 2 * think) : 0);
  }
  if (wl->stop_us > 0 && at >= wl->stop_us)
    return; /* [workload] stop: the clients fall quiet */
  sim_queue_push (&w->queue, at, SIM_CHOICE_INVOKE, w->n_nodes + c, cl->op_number + 1);
}

void
sim_client_invoke (SimWorld *w, int c)
{
  const SimWorkloadConfig *wl = &w->cfg->workload;
  SimClient *cl = &w->clients[c];
  op_draw (w, cl, c);
  cl->op_number++;
  cl->op.seq = ++cl->next_seq;
  cl->is_open = TRUE;
  cl->attempt = 0;
  if (wl->rate_per_s > 0) {
    int64_t interval = rate_interval_us (w);
    cl->next_due_us = client_after (w, c, pcg32_range (&cl->rng, 0, 2 * interval));
  }
  w->ops_started++;
  w->stats.ops_invoked++;
  history_add (w, cl, CHK_INVOKE, cl->invoke_value);
  trace_client (w, c, "invoke", NULL);
  if (wl->op_timeout_us > 0)
    sim_queue_push (&w->queue, client_after (w, c, wl->op_timeout_us), SIM_CHOICE_OP_TIMEOUT,
                    w->n_nodes + c, cl->op_number);
  schedule_attempt_timeout (w, c);
  ProtoEvent ev = { .kind = PROTO_EV_INVOKE, .op = &cl->op };
  sim_client_step_event (w, c, &ev);
}

/* Retry n (from 1) waits uniform(0, min(cap, base * 2^n)): exponential
 * backoff with full jitter. */
void
sim_client_attempt_timeout (SimWorld *w, int c)
{
  const SimWorkloadConfig *wl = &w->cfg->workload;
  SimClient *cl = &w->clients[c];
  cl->attempt++;
  int64_t cap = MAX (wl->backoff_cap_us, 0);
  int64_t ceiling = MAX (wl->backoff_base_us, 0);
  for (int i = 0; i < cl->attempt && ceiling < cap; i++)
    ceiling *= 2;
  ceiling = MIN (ceiling, cap);
  int64_t wait = ceiling > 0 ? pcg32_range (&cl->rng, 0, ceiling) : 0;
  if (w->trace.is_on) {
    g_autofree char *suffix = g_strdup_printf (": no answer, retry %d in %" G_GINT64_FORMAT "us",
                                               cl->attempt, wait);
    trace_client (w, c, "timeout", suffix);
  }
  sim_queue_push (&w->queue, client_after (w, c, wait), SIM_CHOICE_RETRY, w->n_nodes + c,
                  attempt_tag (cl));
}

void
sim_client_retry (SimWorld *w, int c)
{
  SimClient *cl = &w->clients[c];
  if (!w->cfg->workload.idempotency)
    cl->op.seq = ++cl->next_seq; /* a new key: the nodes see a new write */
  w->stats.retries++;
  if (w->trace.is_on) {
    g_autofree char *suffix = g_strdup_printf (" (attempt %d, seq %u)", cl->attempt + 1,
                                               cl->op.seq);
    trace_client (w, c, "retry", suffix);
  }
  schedule_attempt_timeout (w, c);
  ProtoEvent ev = { .kind = PROTO_EV_RETRY, .op = &cl->op };
  sim_client_step_event (w, c, &ev);
}

static void
op_close (SimWorld *w, int c, ChkType type, ChkValue value, const char *how)
{
  SimClient *cl = &w->clients[c];
  history_add (w, cl, type, value);
  cl->is_open = FALSE;
  switch (type) {
  case CHK_OK: w->stats.ops_ok++; break;
  case CHK_FAIL: w->stats.ops_fail++; break;
  case CHK_INFO: w->stats.ops_info++; break;
  case CHK_INVOKE: g_assert_not_reached ();
  }
  trace_client (w, c, "complete", how);
}

void
sim_client_op_timeout (SimWorld *w, int c)
{
  SimClient *cl = &w->clients[c];
  op_close (w, c, CHK_INFO, cl->invoke_value, ": info (client timeout)");
  cl->process += w->n_clients;
  schedule_next (w, c);
}

void
sim_client_result (SimWorld *w, int c, const ProtoResult *r)
{
  SimClient *cl = &w->clients[c];
  if (!cl->is_open)
    return; /* a late answer to an operation already recorded as info */
  if (r->kind == PROTO_RESULT_FAIL) {
    op_close (w, c, CHK_FAIL, cl->invoke_value, ": fail");
  } else if (cl->op.f == PROTO_OP_READ) {
    ChkValue v = { .kind = r->has_value ? CHK_VAL_INT : CHK_VAL_NIL, .i = r->value };
    char suffix[256];
    if (r->n_siblings >= 2) {
      /* Concurrent versions: the history keeps them all (CHK_VAL_SIBLINGS). */
      g_assert (r->n_siblings <= PROTO_MAX_SIBLINGS);
      v = (ChkValue) { .kind = CHK_VAL_SIBLINGS,
                       .s = chk_history_add_siblings (w->history, r->siblings, r->n_siblings) };
      g_autofree char *text = chk_value_describe (w->history, &v);
      g_snprintf (suffix, sizeof suffix, ": ok %s", text);
    } else if (r->has_value)
      g_snprintf (suffix, sizeof suffix, ": ok %" G_GINT64_FORMAT, r->value);
    else
      g_strlcpy (suffix, ": ok nil", sizeof suffix);
    op_close (w, c, CHK_OK, v, suffix);
  } else {
    op_close (w, c, CHK_OK, cl->invoke_value, ": ok");
  }
  schedule_next (w, c);
}

/* The run is over: operations still open are info at the final time. */
void
sim_clients_finish (SimWorld *w)
{
  for (int c = 0; c < w->n_clients; c++)
    if (w->clients[c].is_open)
      op_close (w, c, CHK_INFO, w->clients[c].invoke_value, ": info (run ended)");
}
