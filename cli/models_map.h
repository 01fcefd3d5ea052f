/* models_map.h: the map of the consistency models `dsim models` prints:
 * for each model dsim checks, what it implies and is implied by, which
 * systems offer it in practice, and the catalog history and teaching
 * scenario that separate it from its neighbours; and the hierarchy as a
 * drawing (DOT with pinned positions, for viz_render_file). */
#pragma once

#include <glib.h>

typedef struct {
  const char *name;       /* as `dsim check --model` takes it */
  const char *implies;    /* the models it implies directly ("" if none) */
  const char *implied_by; /* the models that imply it directly */
  const char *systems;    /* where it is offered in practice */
  const char *separates;  /* the catalog history or scenario that holds
                           * here and breaks the next stronger model */
  /* Where the model sits in the drawing: row 0 at the top. */
  int row;
  double column;
} ModelsMapEntry;

/* The entries, one per name of chk_checkers () and the measure staleness,
 * ending with a {NULL} entry. */
const ModelsMapEntry *models_map_entries (void);
const ModelsMapEntry *models_map_find (const char *name);

/* The hierarchy as DOT text with pinned positions (g_free). */
char *models_map_dot (void);
