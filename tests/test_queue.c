/* test_queue.c: the event queue pops by (time, insertion order). */
#include <criterion/criterion.h>

#include "protocols/pcg32.h"
#include "sim/queue.h"

Test (queue, pops_in_time_order)
{
  SimQueue q;
  sim_queue_init (&q);
  sim_queue_push (&q, 30, 1, 0, 0);
  sim_queue_push (&q, 10, 2, 0, 0);
  sim_queue_push (&q, 20, 3, 0, 0);
  SimEvent ev;
  cr_assert (sim_queue_pop (&q, &ev));
  cr_expect_eq (ev.time_us, 10);
  cr_expect_eq (ev.kind, 2u);
  cr_assert (sim_queue_pop (&q, &ev));
  cr_expect_eq (ev.time_us, 20);
  cr_assert (sim_queue_pop (&q, &ev));
  cr_expect_eq (ev.time_us, 30);
  cr_expect_not (sim_queue_pop (&q, &ev));
  sim_queue_clear (&q);
}

Test (queue, equal_times_pop_in_insertion_order)
{
  SimQueue q;
  sim_queue_init (&q);
  /* Interleave two times; within each, payloads must come back in the order
   * they were pushed, whatever the heap does internally. */
  for (int i = 0; i < 500; i++)
    sim_queue_push (&q, (i % 2) ? 7 : 5, 0, i, 0);
  SimEvent ev;
  int last5 = -1, last7 = -1, n = 0;
  int64_t last_time = 0;
  while (sim_queue_pop (&q, &ev)) {
    cr_assert_geq (ev.time_us, last_time);
    last_time = ev.time_us;
    if (ev.time_us == 5) {
      cr_assert_gt (ev.a, last5, "time 5: %d after %d", ev.a, last5);
      last5 = ev.a;
    } else {
      cr_assert_gt (ev.a, last7, "time 7: %d after %d", ev.a, last7);
      last7 = ev.a;
    }
    n++;
  }
  cr_expect_eq (n, 500);
  cr_expect_eq (last5, 498);
  cr_expect_eq (last7, 499);
  sim_queue_clear (&q);
}

Test (queue, random_inserts_pop_sorted_and_stable)
{
  SimQueue q;
  sim_queue_init (&q);
  Pcg32 rng;
  pcg32_seed (&rng, 99, 1);
  const int n = 20000;
  /* Few distinct times, so most events tie. */
  for (int i = 0; i < n; i++)
    sim_queue_push (&q, pcg32_range (&rng, 0, 50), 0, 0, (uint64_t) i);
  SimEvent prev, ev;
  cr_assert (sim_queue_pop (&q, &prev));
  int count = 1;
  while (sim_queue_pop (&q, &ev)) {
    cr_assert (prev.time_us < ev.time_us || (prev.time_us == ev.time_us && prev.b < ev.b),
               "(%ld,%lu) then (%ld,%lu)", (long) prev.time_us, (unsigned long) prev.b,
               (long) ev.time_us, (unsigned long) ev.b);
    prev = ev;
    count++;
  }
  cr_expect_eq (count, n);
  sim_queue_clear (&q);
}

Test (queue, interleaved_push_pop_and_remove)
{
  SimQueue q;
  sim_queue_init (&q);
  Pcg32 rng;
  pcg32_seed (&rng, 5, 2);
  int64_t now = 0;
  for (int round = 0; round < 2000; round++) {
    int pushes = (int) pcg32_below (&rng, 4);
    for (int i = 0; i < pushes; i++)
      sim_queue_push (&q, now + pcg32_range (&rng, 0, 100), 0, 0, 0);
    if (sim_queue_len (&q) > 3 && pcg32_below (&rng, 3) == 0)
      sim_queue_remove_nth (&q, pcg32_below (&rng, sim_queue_len (&q)));
    SimEvent ev;
    if (sim_queue_pop (&q, &ev)) {
      cr_assert_geq (ev.time_us, now);
      /* Nothing left may come before what was just popped. */
      for (guint i = 0; i < sim_queue_len (&q); i++)
        cr_assert (!sim_event_before (sim_queue_nth (&q, i), &ev));
      now = ev.time_us;
    }
  }
  sim_queue_clear (&q);
}

Test (queue, copy_is_independent)
{
  SimQueue a, b;
  sim_queue_init (&a);
  sim_queue_push (&a, 3, 0, 1, 0);
  sim_queue_push (&a, 1, 0, 2, 0);
  sim_queue_copy (&b, &a);
  SimEvent ev;
  sim_queue_pop (&a, &ev);
  cr_expect_eq (ev.a, 2);
  cr_expect_eq (sim_queue_len (&b), 2u);
  sim_queue_pop (&b, &ev);
  cr_expect_eq (ev.a, 2);
  uint64_t s1 = sim_queue_push (&a, 0, 0, 0, 0);
  uint64_t s2 = sim_queue_push (&b, 0, 0, 0, 0);
  cr_expect_eq (s1, s2, "copies continue the same sequence");
  sim_queue_clear (&a);
  sim_queue_clear (&b);
}
