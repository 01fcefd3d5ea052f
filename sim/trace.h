/* trace.h: the trace of a run, as JSON Lines.
 *
 * The first line describes the run:
 *   {"kind":"meta","protocol":"raft","seed":7,"nodes":["n1","n2","n3"],
 *    "clients":["c1","c2"]}
 * Every other line is one event, in the order the world applied them:
 *   {"time":1200,"node":"n1","kind":"send","msg":17,"peer":"n2",
 *    "vc":[3,0,1,0,0],"label":"AppendEntries(term=2, prev=4/1, 1 entry)"}
 *
 *   time   virtual time in microseconds
 *   node   the endpoint the event happens at (node or client name)
 *   kind   send, recv, drop, dup, timeout, crash, restart, pause, resume,
 *          partition, heal, skew, invoke, complete, note
 *   msg    message id (send, recv, drop, dup): a duplicate delivery has its
 *          own id and "dup_of" naming the original
 *   peer   the other end of a message (send: receiver; recv, drop: sender)
 *   vc     the vector clock of `node` after the event, indexed by endpoint
 *          (nodes first, then clients); events that are not at one endpoint
 *          (partition, heal) have no vc
 *   label  what happened in plain words: format_msg for messages, the
 *          protocol's note, the operation for invoke and complete,
 *          the groups for a partition
 * A drop line is written at the time and place the message was lost (the
 * receiver, for a partition; the sender, for random loss), so a diagram can
 * draw an arrow that ends in a cross.  Optional fields: "reason" on drop
 * ("loss", "partition", "crashed", "paused"), "state" (format_state) after
 * role changes, "mark" (coverage mark). */
#pragma once
