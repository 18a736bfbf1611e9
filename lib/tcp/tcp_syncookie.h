#ifndef TCP_SYNCOOKIE_H
#define TCP_SYNCOOKIE_H
#endif
