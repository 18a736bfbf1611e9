#include "fo_tcp.h"
