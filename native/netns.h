/* Entering and leaving a network namespace on the calling thread (nsvswitch.c). */
#ifndef NSVSWITCH_NETNS_H
#define NSVSWITCH_NETNS_H

/* Enters netns `fd` on this thread; *saved gets the fd to return with (or -1 when nothing was entered). 0 or an errno. */
int nsvs_enter_netns(int fd, int *saved);
/* Returns to the namespace saved by nsvs_enter_netns; aborts the process if it cannot (never continues elsewhere). */
void nsvs_leave_netns(int saved);

#endif
