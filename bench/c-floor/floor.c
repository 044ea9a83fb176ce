/*
 * The C floor: the WebSocket fan-out of bench/floor-server.ts as a small epoll server, the cost of
 * the machine itself. One pre-framed buffer per frame (frame header + 16-byte chunk header + JPEG),
 * written to every socket that has nothing of ours queued; a socket still sending an older frame
 * skips this one. Built by bench/run.ts with the system cc at bench time; video only.
 *
 * usage: floor HOST PORT FPS FRAMES_FILE HELLO_JSON
 *   FRAMES_FILE: the test loop as [u32 little-endian length][JPEG] records.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 4096
#define MAX_REQUEST 8192
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct frame {
  unsigned char *bytes;
  size_t length;
  int refs;
};

struct client {
  int fd;
  int upgraded;
  char request[MAX_REQUEST];
  size_t request_length;
  /* What is still being sent: a frame (counted in its refs) or the handshake text. */
  struct frame *pending;
  size_t offset;
};

static struct client *clients[MAX_CLIENTS];
static int epoll_fd;
static volatile sig_atomic_t stopping;

static void release(struct frame *frame) {
  if (frame && --frame->refs == 0) {
    free(frame->bytes);
    free(frame);
  }
}

static void drop(struct client *client) {
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, client->fd, NULL);
  close(client->fd);
  release(client->pending);
  clients[client->fd] = NULL;
  free(client);
}

static void want_writable(struct client *client, int on) {
  struct epoll_event event = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.fd = client->fd};
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, client->fd, &event);
}

/* Writes what is pending; returns -1 when the client is gone. */
static int push(struct client *client) {
  while (client->pending) {
    ssize_t sent = send(client->fd, client->pending->bytes + client->offset, client->pending->length - client->offset, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        want_writable(client, 1);
        return 0;
      }
      return -1;
    }
    client->offset += (size_t)sent;
    if (client->offset == client->pending->length) {
      release(client->pending);
      client->pending = NULL;
      client->offset = 0;
      want_writable(client, 0);
    }
  }
  return 0;
}

static struct frame *frame_of(const unsigned char *head, size_t head_length, const unsigned char *body, size_t body_length) {
  struct frame *frame = malloc(sizeof *frame);
  frame->length = head_length + body_length;
  frame->bytes = malloc(frame->length);
  memcpy(frame->bytes, head, head_length);
  memcpy(frame->bytes + head_length, body, body_length);
  frame->refs = 1;
  return frame;
}

static struct frame *hello_frame;

static void upgrade(struct client *client) {
  char *key = strcasestr(client->request, "sec-websocket-key:");
  if (!key) {
    close(client->fd);
    return;
  }
  key += strlen("sec-websocket-key:");
  while (*key == ' ') key++;
  char joined[128];
  size_t key_length = strcspn(key, "\r\n ");
  if (key_length > 60) key_length = 60;
  snprintf(joined, sizeof joined, "%.*s%s", (int)key_length, key, WS_GUID);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1((unsigned char *)joined, strlen(joined), digest);
  unsigned char accept[64];
  EVP_EncodeBlock(accept, digest, SHA_DIGEST_LENGTH);
  char response[256];
  int length = snprintf(response, sizeof response,
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
  client->pending = frame_of((unsigned char *)response, (size_t)length, hello_frame->bytes, hello_frame->length);
  client->offset = 0;
  client->upgraded = 1;
}

static void on_readable(struct client *client) {
  char scratch[16384];
  for (;;) {
    ssize_t got = recv(client->fd, scratch, sizeof scratch, 0);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      drop(client);
      return;
    }
    if (got < 0) return;
    /* After the upgrade whatever the client sends (pongs, close) is read and dropped. */
    if (client->upgraded) continue;
    if (client->request_length + (size_t)got >= MAX_REQUEST) {
      drop(client);
      return;
    }
    memcpy(client->request + client->request_length, scratch, (size_t)got);
    client->request_length += (size_t)got;
    client->request[client->request_length] = 0;
    if (strstr(client->request, "\r\n\r\n")) {
      upgrade(client);
      if (!client->upgraded || push(client) < 0) {
        drop(client);
        return;
      }
    }
  }
}

static unsigned char *read_file(const char *path, size_t *length) {
  FILE *file = fopen(path, "rb");
  if (!file) return NULL;
  fseek(file, 0, SEEK_END);
  *length = (size_t)ftell(file);
  fseek(file, 0, SEEK_SET);
  unsigned char *bytes = malloc(*length);
  if (fread(bytes, 1, *length, file) != *length) {
    fclose(file);
    return NULL;
  }
  fclose(file);
  return bytes;
}

static void on_signal(int signal_number) {
  (void)signal_number;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: floor HOST PORT FPS FRAMES_FILE HELLO_JSON\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  int fps = atoi(argv[3]);
  size_t loop_length;
  unsigned char *loop = read_file(argv[4], &loop_length);
  if (!loop || fps <= 0) {
    fprintf(stderr, "floor: cannot read %s\n", argv[4]);
    return 1;
  }
  size_t offsets[4096];
  uint32_t lengths[4096];
  size_t count = 0;
  for (size_t at = 0; at + 4 <= loop_length && count < 4096; count++) {
    memcpy(&lengths[count], loop + at, 4);
    offsets[count] = at + 4;
    at += 4 + lengths[count];
  }
  size_t hello_length = strlen(argv[5]);
  unsigned char hello_head[4] = {0x81, 126, (unsigned char)(hello_length >> 8), (unsigned char)hello_length};
  if (hello_length < 126) hello_head[1] = (unsigned char)hello_length;
  hello_frame = frame_of(hello_head, hello_length < 126 ? 2 : 4, (unsigned char *)argv[5], hello_length);

  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  /* run.ts asks every server for a full GC with SIGUSR2; nothing to collect here. */
  signal(SIGUSR2, SIG_IGN);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, host, &address.sin_addr);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 512) < 0) {
    perror("floor: listen");
    return 1;
  }
  epoll_fd = epoll_create1(0);
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  long interval_ns = 1000000000L / fps;
  struct itimerspec period = {.it_interval = {interval_ns / 1000000000L, interval_ns % 1000000000L},
                              .it_value = {interval_ns / 1000000000L, interval_ns % 1000000000L}};
  timerfd_settime(timer, 0, &period, NULL);
  struct epoll_event event = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
  event.data.fd = timer;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer, &event);
  printf("{\"level\":30,\"msg\":\"listening\",\"url\":\"http://%s:%d/\"}\n", host, port);
  fflush(stdout);

  uint32_t sequence = 0;
  struct epoll_event events[256];
  while (!stopping) {
    int ready = epoll_wait(epoll_fd, events, 256, 1000);
    for (int index = 0; index < ready; index++) {
      int fd = events[index].data.fd;
      if (fd == listener) {
        int accepted;
        while ((accepted = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          if (accepted >= MAX_CLIENTS) {
            close(accepted);
            continue;
          }
          setsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct client *client = calloc(1, sizeof *client);
          client->fd = accepted;
          clients[accepted] = client;
          struct epoll_event added = {.events = EPOLLIN, .data.fd = accepted};
          epoll_ctl(epoll_fd, EPOLL_CTL_ADD, accepted, &added);
        }
      } else if (fd == timer) {
        uint64_t expirations;
        if (read(timer, &expirations, sizeof expirations) < 0) continue;
        size_t which = sequence % count;
        size_t body_length = 16 + lengths[which];
        unsigned char head[10 + 16];
        size_t head_length;
        head[0] = 0x82;
        if (body_length < 65536) {
          head[1] = 126, head[2] = (unsigned char)(body_length >> 8), head[3] = (unsigned char)body_length, head_length = 4;
        } else {
          head[1] = 127;
          for (int byte = 0; byte < 8; byte++) head[2 + byte] = (unsigned char)((uint64_t)body_length >> (56 - 8 * byte));
          head_length = 10;
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        uint64_t capture_us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
        unsigned char *chunk = head + head_length;
        memset(chunk, 0, 16);
        chunk[0] = 1; /* ChunkKind.Jpeg */
        for (int byte = 0; byte < 4; byte++) chunk[4 + byte] = (unsigned char)(sequence >> (24 - 8 * byte));
        for (int byte = 0; byte < 8; byte++) chunk[8 + byte] = (unsigned char)(capture_us >> (56 - 8 * byte));
        struct frame *frame = frame_of(head, head_length + 16, loop + offsets[which], lengths[which]);
        sequence++;
        for (int client_fd = 0; client_fd < MAX_CLIENTS; client_fd++) {
          struct client *client = clients[client_fd];
          if (!client || !client->upgraded || client->pending) continue;
          frame->refs++;
          client->pending = frame;
          client->offset = 0;
          if (push(client) < 0) drop(client);
        }
        release(frame);
      } else if (clients[fd]) {
        struct client *client = clients[fd];
        if (events[index].events & (EPOLLERR | EPOLLHUP)) {
          drop(client);
          continue;
        }
        if (events[index].events & EPOLLOUT && push(client) < 0) {
          drop(client);
          continue;
        }
        if (events[index].events & EPOLLIN) on_readable(client);
      }
    }
  }
  return 0;
}
