/* trace_viz.h: a trace file (JSON Lines, sim/trace.h) read into viz's model
 * (viz/model.h), for diagrams and the ShiViz export.
 *
 * The trace must start with its meta line and list events in the order they
 * happened (time never goes back).  Every recv and drop names a message sent
 * earlier; a dup line makes a second delivery of its dup_of message, drawn
 * from the original send.  Role annotations come from the "state" field.
 * Fields the reader does not know are ignored.  Lamport times are computed
 * (viz_model_compute_clocks) before the model is returned.
 *
 * Bad input: NULL and an error "FILE:LINE: what was expected", in the
 * SIM_TRACE_ERROR domain. */
#pragma once

#include "viz/model.h"

#define SIM_TRACE_ERROR (sim_trace_error_quark ())
GQuark sim_trace_error_quark (void);
typedef enum {
  SIM_TRACE_ERROR_IO,
  SIM_TRACE_ERROR_PARSE,
} SimTraceError;

VizModel *sim_trace_viz_load (const char *path, GError **error);
/* The same from memory; name is used in messages. */
VizModel *sim_trace_viz_load_data (const char *name, const char *data, gsize len,
                                   GError **error);
