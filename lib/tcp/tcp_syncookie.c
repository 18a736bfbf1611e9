/* placeholder */
#include "tcp_syncookie.h"
