// The part of libcurl's easy interface Weir uses, opened on first use (weir starts ~6 ms faster
// without libcurl and its TLS, Kerberos and LDAP libraries loaded at exec). Written by hand from
// curl/curl.h; the option numbers are libcurl's stable ABI.
#ifndef WEIR_CCURL_H
#define WEIR_CCURL_H

#include <stddef.h>

typedef void WeirCurl;
typedef struct WeirCurlList WeirCurlList;
typedef size_t (*WeirCurlCallback)(char *data, size_t size, size_t count, void *context);

enum WeirCurlOption {
    WEIR_CURLOPT_URL = 10002,
    WEIR_CURLOPT_HTTPHEADER = 10023,
    WEIR_CURLOPT_CUSTOMREQUEST = 10036,
    WEIR_CURLOPT_NOBODY = 44,
    WEIR_CURLOPT_POSTFIELDS = 10015,
    WEIR_CURLOPT_POSTFIELDSIZE_LARGE = 30120,
    WEIR_CURLOPT_FOLLOWLOCATION = 52,
    WEIR_CURLOPT_MAXREDIRS = 68,
    WEIR_CURLOPT_CONNECTTIMEOUT = 78,
    WEIR_CURLOPT_LOW_SPEED_LIMIT = 19,
    WEIR_CURLOPT_LOW_SPEED_TIME = 20,
    WEIR_CURLOPT_NOSIGNAL = 99,
    WEIR_CURLOPT_PROTOCOLS_STR = 10318,
    WEIR_CURLOPT_REDIR_PROTOCOLS_STR = 10319,
};

enum WeirCurlCode {
    WEIR_CURLE_OK = 0,
    WEIR_CURLE_COULDNT_RESOLVE_PROXY = 5,
    WEIR_CURLE_COULDNT_RESOLVE_HOST = 6,
    WEIR_CURLE_COULDNT_CONNECT = 7,
    WEIR_CURLE_PARTIAL_FILE = 18,
    WEIR_CURLE_WRITE_ERROR = 23,
    WEIR_CURLE_OPERATION_TIMEDOUT = 28,
    WEIR_CURLE_TOO_MANY_REDIRECTS = 47,
    WEIR_CURLE_GOT_NOTHING = 52,
    WEIR_CURLE_SEND_ERROR = 55,
    WEIR_CURLE_RECV_ERROR = 56,
    WEIR_CURLE_PEER_FAILED_VERIFICATION = 60,
};

/// 0 when libcurl is loaded (WEIR_LIBCURL names another file); otherwise -1 and why in `error`.
int weir_curl_load(char *error, size_t capacity);

WeirCurl *weir_curl_easy_init(void);
void weir_curl_easy_cleanup(WeirCurl *handle);
void weir_curl_easy_reset(WeirCurl *handle);
int weir_curl_setopt_long(WeirCurl *handle, int option, long value);
int weir_curl_setopt_pointer(WeirCurl *handle, int option, const void *value);
int weir_curl_setopt_offset(WeirCurl *handle, int option, long long value);
int weir_curl_set_receivers(WeirCurl *handle, WeirCurlCallback body, WeirCurlCallback header, void *context);
int weir_curl_perform(WeirCurl *handle);
long weir_curl_response_code(WeirCurl *handle);
const char *weir_curl_strerror(int code);
WeirCurlList *weir_curl_list_append(WeirCurlList *list, const char *text);
void weir_curl_list_free(WeirCurlList *list);

#endif
