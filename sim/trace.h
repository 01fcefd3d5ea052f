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
 *   kind   send, recv, drop, dup, timeout, start, crash, restart, pause,
 *          resume, partition, heal, skew, invoke, retry, complete, note
 *          (start: a node's first boot; timeout at a client: an attempt
 *          got no answer and the client backs off; retry: the client stub
 *          resends; complete: ok, fail or info, in the label)
 *   msg    message id (send, recv, drop, dup): a duplicate delivery has its
 *          own id and "dup_of" naming the original; the "dup" line is
 *          written at the sender when the copy is made
 *   peer   the other end of a message (send, dup: receiver; recv: sender;
 *          drop: the other end as seen from `node`, so the receiver when
 *          the drop is written at the sender)
 *   vc     the vector clock of `node` after the event, indexed by endpoint
 *          (nodes first, then clients); events that are not at one endpoint
 *          (partition, heal) have neither node nor vc.  Every line at an
 *          endpoint increments its own entry; a recv first takes the
 *          entry-wise max with the clock the message carries (the sender's
 *          clock after its send line)
 *   label  what happened in plain words: format_msg for messages, the
 *          protocol's note, the operation for invoke and complete,
 *          the groups for a partition
 * A drop line is written at the time and place the message was lost (the
 * receiver, for a partition; the sender, for random loss), so a diagram can
 * draw an arrow that ends in a cross.  Optional fields: "reason" on drop
 * ("loss", "partition", "crashed"; "chosen" when an explorer applied
 * SIM_CHOICE_DROP, written at the receiver), "state" (format_state) after
 * role changes, "mark" (coverage mark, on a "note" line whose label is the
 * mark).  A message lost to random loss gets its "send" line and then a
 * "drop" line at the sender; one lost to a partition or a crashed receiver
 * gets its "drop" line at the receiver when it would have arrived.
 * Messages that reach a paused node wait and get their "recv" line when it
 * resumes.  Fields appear in this order: time, node, kind, msg, dup_of,
 * peer, reason, mark, vc, label.
 *
 * Example (null protocol, 3 nodes, seed 5):
 *   {"time":0,"node":"n1","kind":"start","vc":[1,0,0]}
 *   {"time":0,"node":"n1","kind":"send","msg":1,"peer":"n2","vc":[2,0,0],"label":"token(from n1, hop 0)"}
 *   {"time":2940,"node":"n2","kind":"recv","msg":1,"peer":"n1","vc":[2,5,0],"label":"token(from n1, hop 0)"}
 *   {"time":8000,"kind":"partition","label":"n1 | n2 n3"}
 *   {"time":8236,"node":"n2","kind":"drop","msg":21,"peer":"n1","reason":"partition","vc":[10,16,3],"label":"token(from n2, hop 2)"}
 *   {"time":12000,"node":"n2","kind":"crash","vc":[10,18,3],"label":"volatile state lost"} */
#pragma once
