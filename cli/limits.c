/* limits.c: the sizes and counts the subcommands take as limits. */
#include "cli/cli.h"

#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>
#include <string.h>

gboolean
cli_parse_size (const char *text, gsize *out)
{
  if (text == NULL || !g_ascii_isdigit (text[0]))
    return FALSE; /* no sign, no blank: "-1" must not become 2^64-1 */
  char *end = NULL;
  errno = 0;
  guint64 n = g_ascii_strtoull (text, &end, 10);
  if (end == text || errno == ERANGE)
    return FALSE;
  guint64 unit = 1;
  if (*end == 'K' || *end == 'k')
    unit = (guint64) 1 << 10;
  else if (*end == 'M' || *end == 'm')
    unit = (guint64) 1 << 20;
  else if (*end == 'G' || *end == 'g')
    unit = (guint64) 1 << 30;
  else if (*end == 'T' || *end == 't')
    unit = (guint64) 1 << 40;
  else if (*end != '\0' && strcmp (end, "B") != 0)
    return FALSE;
  if (unit > 1 && end[1] != '\0' && strcmp (end + 1, "B") != 0 && strcmp (end + 1, "iB") != 0)
    return FALSE;
  if (n > G_MAXSIZE / unit)
    return FALSE; /* 17179869185G does not wrap to 1G */
  *out = (gsize) (n * unit);
  return TRUE;
}

guint64
cli_address_space_free (void)
{
  struct rlimit rl;
  if (getrlimit (RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return G_MAXUINT64;
  guint64 limit = rl.rlim_cur, used = 0;
  g_autofree char *statm = NULL;
  long page = sysconf (_SC_PAGESIZE);
  if (page > 0 && g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    used = g_ascii_strtoull (statm, NULL, 10) * (guint64) page;
  return limit > used ? limit - used : 0;
}

gsize
cli_default_memory_cap (gsize dflt)
{
  /* The counted memory is not all a process maps (its input files, thread
   * stacks, arrays grown by doubling), hence a quarter of the address
   * space still free. */
  return cli_default_memory_cap_beside (dflt, 0);
}

gsize
cli_default_memory_cap_beside (gsize dflt, guint64 mapped_bytes)
{
  guint64 room = cli_address_space_free ();
  if (room == G_MAXUINT64)
    return dflt;
  if (mapped_bytes > 0 && (room < mapped_bytes || room - mapped_bytes < CLI_ROOM_BESIDE_MIN))
    return 0;
  room -= mapped_bytes;
  return (gsize) MAX (MIN ((guint64) dflt, room / 4), (guint64) 1 << 20);
}

int
cli_threads_that_fit (int threads)
{
  /* A thread takes its stack (8 MiB by default) and, in glibc, a malloc
   * arena of up to 64 MiB: at most half the free address space goes to
   * them. */
  guint64 room = cli_address_space_free ();
  guint64 per_thread = (guint64) 72 << 20;
  if (room == G_MAXUINT64 || (guint64) threads * per_thread <= room / 2)
    return threads;
  return (int) MAX ((guint64) 1, room / 2 / per_thread);
}
