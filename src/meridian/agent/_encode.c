/* The agent's answer encoder for a list of events, in C (see events.py, _Encoder.events).
 *
 * events(events, ev_type, cache, encode) -> str | None
 *
 * Writes a list of ``ev_type`` instances (events.Ev: ts and dur in microseconds as ints, id an
 * int or None, data a JSON object) exactly as the pure-Python encoder does:
 *
 *   [{"id": 1, "timestamp": "2026-12-05T09:00:00.250000+00:00", "duration": 1.5, "data": {...}}, ...]
 *
 * ``cache`` maps id(data) to (data, text) and ``encode(data)`` gives a text on a miss (the data
 * texts stay json.dumps's, ASCII). Anything this code does not write itself (an item of another
 * type, a non-int field, a year outside 1..9999, an id beyond 64 bits, a non-ASCII text) makes it
 * return None, and the caller writes the list in Python (which raises where Python would).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <string.h>

#define US 1000000LL
#define DAY_S 86400LL

/* Where ev_type keeps each field (member descriptors of its slots), found on each call: a
 * getattr per type and field is nothing next to thousands of events. */
typedef struct {
    Py_ssize_t ts, dur, data, id;
} Offsets;

static int
member_offset(PyObject *type, const char *name, Py_ssize_t *offset)
{
    PyObject *descr = PyObject_GetAttrString(type, name);
    if (descr == NULL) {
        PyErr_Clear();
        return 0;
    }
    int ok = 0;
    if (Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        /* A slot of this type's own layout (not another class's descriptor set on it), within
         * its instances, and writable (merge_by_data and relabel write it). */
        PyTypeObject *owner = ((PyDescrObject *)descr)->d_type;
        if ((member->type == T_OBJECT_EX || member->type == T_OBJECT) &&
            !(member->flags & (PY_AUDIT_READ | READONLY)) && PyType_Check(type) &&
            PyType_IsSubtype((PyTypeObject *)type, owner) && member->offset > 0 &&
            member->offset + (Py_ssize_t)sizeof(PyObject *) <= owner->tp_basicsize) {
            *offset = member->offset;
            ok = 1;
        }
    }
    Py_DECREF(descr);
    return ok;
}

/* The output: an ASCII str written in place, grown by PyUnicode_Resize (a fresh str with one
 * reference) and cut to its length at the end, so the answer is not copied once more. */
typedef struct {
    PyObject *str;
    char *buf;
    Py_ssize_t len, cap;
} Out;

static int
out_reserve(Out *out, Py_ssize_t extra)
{
    if (out->len + extra <= out->cap) {
        return 0;
    }
    Py_ssize_t cap = out->cap * 2;
    if (cap < out->len + extra) {
        cap = out->len + extra;
    }
    if (out->str == NULL) {
        out->str = PyUnicode_New(cap, 127);
    }
    else if (PyUnicode_Resize(&out->str, cap) < 0) {
        /* On failure the str is unchanged and still ours. */
        Py_CLEAR(out->str);
    }
    if (out->str == NULL) {
        return -1;
    }
    out->buf = (char *)PyUnicode_1BYTE_DATA(out->str);
    out->cap = cap;
    return 0;
}

static inline void
put(Out *out, const char *text, Py_ssize_t n)
{
    memcpy(out->buf + out->len, text, (size_t)n);
    out->len += n;
}

/* Decimal digits of an unsigned value, right-aligned into end[-k..-1]; returns k. */
static inline int
udigits(unsigned long long value, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    return (int)(end - p);
}

static inline void
two(char *p, int value)
{
    p[0] = (char)('0' + value / 10);
    p[1] = (char)('0' + value % 10);
}

/* Days since 1970-01-01 → proleptic Gregorian year, month, day (H. Hinnant's civil_from_days). */
static void
civil(long long days, long long *year, int *month, int *day)
{
    days += 719468;
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    long long doe = days - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

/* repr(micros / 1_000_000) into p (at least 32 bytes); the length, or -1 to leave the list
 * to Python. For 100 <= micros < 10**15 the quotient is the double nearest a decimal of at
 * most 15 significant digits, so its shortest repr is that decimal (trailing zeros dropped,
 * ".0" when whole) and repr writes it without an exponent (0.0001 <= x < 1e16). */
static int
duration(long long micros, char *p)
{
    if (micros >= 100 && micros < 1000000000000000LL) {
        char tmp[24];
        int n = udigits((unsigned long long)(micros / US), tmp + sizeof tmp);
        memcpy(p, tmp + sizeof tmp - n, (size_t)n);
        p[n++] = '.';
        long long fraction = micros % US;
        if (fraction == 0) {
            p[n++] = '0';
            return n;
        }
        char frac[6];
        for (int i = 5; i >= 0; i--) {
            frac[i] = (char)('0' + fraction % 10);
            fraction /= 10;
        }
        int keep = 6;
        while (frac[keep - 1] == '0') {
            keep--;
        }
        memcpy(p + n, frac, (size_t)keep);
        return n + keep;
    }
    if (micros == 0) {
        memcpy(p, "0.0", 3);
        return 3;
    }
    /* int / int in Python is the correctly rounded quotient; so is this when both are exact
     * doubles (|micros| <= 2**53). */
    if (micros > 9007199254740992LL || micros < -9007199254740992LL) {
        return -1;
    }
    char *text = PyOS_double_to_string((double)micros / 1e6, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (text == NULL) {
        PyErr_Clear();
        return -1;
    }
    size_t n = strlen(text);
    if (n > 31) {
        PyMem_Free(text);
        return -1;
    }
    memcpy(p, text, n);
    PyMem_Free(text);
    return (int)n;
}

/* The cached text of one data object (a borrowed reference into ``cache``), or NULL with an
 * exception set. */
static PyObject *
data_text(PyObject *data, PyObject *cache, PyObject *encode)
{
    PyObject *key = PyLong_FromVoidPtr(data);
    if (key == NULL) {
        return NULL;
    }
    PyObject *cached = PyDict_GetItemWithError(cache, key);
    if (cached != NULL && PyTuple_CheckExact(cached) && PyTuple_GET_SIZE(cached) == 2 &&
        PyTuple_GET_ITEM(cached, 0) == data) {
        Py_DECREF(key);
        return PyTuple_GET_ITEM(cached, 1);
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    }
    PyObject *text = PyObject_CallOneArg(encode, data);
    if (text == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    PyObject *entry = PyTuple_Pack(2, data, text);
    Py_DECREF(text);
    if (entry == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    int failed = PyDict_SetItem(cache, key, entry);
    Py_DECREF(key);
    Py_DECREF(entry);
    if (failed) {
        return NULL;
    }
    /* The cache holds the entry, and so the text, until the encoder is dropped. */
    return text;
}

static PyObject *
events(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "events(events, ev_type, cache, encode)");
        return NULL;
    }
    PyObject *list = args[0], *ev_type = args[1], *cache = args[2], *encode = args[3];
    if (!PyList_CheckExact(list) || !PyType_Check(ev_type) || !PyDict_CheckExact(cache)) {
        PyErr_SetString(PyExc_TypeError, "events(list, type, dict, callable)");
        return NULL;
    }
    Offsets at;
    if (!member_offset(ev_type, "ts", &at.ts) || !member_offset(ev_type, "dur", &at.dur) ||
        !member_offset(ev_type, "data", &at.data) || !member_offset(ev_type, "id", &at.id)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t count = PyList_GET_SIZE(list);
    if (count == 0) {
        return PyUnicode_FromString("[]");
    }
    Out out = {NULL, NULL, 0, 0};
    if (out_reserve(&out, count * 160 + 2) < 0) {
        return NULL;
    }
    long long last_day = LLONG_MIN;
    char date[16]; /* "YYYY-MM-DDT" */
    put(&out, "[", 1);
    for (Py_ssize_t i = 0; i < count; i++) {
        /* The list cannot change under us except through ``encode`` (Python code): re-read
         * its size and item each time. */
        if (i >= PyList_GET_SIZE(list)) {
            goto fallback;
        }
        PyObject *event = PyList_GET_ITEM(list, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            goto fallback;
        }
        char *base = (char *)event;
        PyObject *ts_obj = *(PyObject **)(base + at.ts);
        PyObject *dur_obj = *(PyObject **)(base + at.dur);
        PyObject *data = *(PyObject **)(base + at.data);
        PyObject *id_obj = *(PyObject **)(base + at.id);
        if (ts_obj == NULL || dur_obj == NULL || data == NULL || id_obj == NULL ||
            !PyLong_CheckExact(ts_obj) || !PyLong_CheckExact(dur_obj)) {
            goto fallback;
        }
        int overflow = 0;
        long long ts = PyLong_AsLongLongAndOverflow(ts_obj, &overflow);
        if (overflow) {
            goto fallback;
        }
        long long dur = PyLong_AsLongLongAndOverflow(dur_obj, &overflow);
        if (overflow) {
            goto fallback;
        }
        long long event_id = 0;
        int has_id = id_obj != Py_None;
        if (has_id) {
            if (!PyLong_CheckExact(id_obj)) {
                goto fallback;
            }
            event_id = PyLong_AsLongLongAndOverflow(id_obj, &overflow);
            if (overflow) {
                goto fallback;
            }
        }
        /* ``encode`` runs Python code: the event and its data (a borrowed slot) are held. */
        Py_INCREF(event);
        Py_INCREF(data);
        PyObject *text = data_text(data, cache, encode);
        Py_DECREF(data);
        Py_DECREF(event);
        if (text == NULL) {
            goto error;
        }
        if (!PyUnicode_CheckExact(text) || !PyUnicode_IS_ASCII(text)) {
            goto fallback;
        }
        Py_ssize_t text_len = PyUnicode_GET_LENGTH(text);

        long long seconds = ts / US, fraction = ts % US;
        if (fraction < 0) {
            fraction += US;
            seconds -= 1;
        }
        long long day = seconds / DAY_S, of_day = seconds % DAY_S;
        if (of_day < 0) {
            of_day += DAY_S;
            day -= 1;
        }
        if (day != last_day) {
            long long year;
            int month, mday;
            civil(day, &year, &month, &mday);
            if (year < 1 || year > 9999) {
                goto fallback;
            }
            date[0] = (char)('0' + year / 1000);
            date[1] = (char)('0' + year / 100 % 10);
            date[2] = (char)('0' + year / 10 % 10);
            date[3] = (char)('0' + year % 10);
            date[4] = '-';
            two(date + 5, month);
            date[7] = '-';
            two(date + 8, mday);
            date[10] = 'T';
            last_day = day;
        }

        char head[160]; /* at most ~121 bytes: id, date, time, duration (<= 31) */
        int n = 0;
        if (i) {
            head[n++] = ',';
            head[n++] = ' ';
        }
        memcpy(head + n, "{\"id\": ", 7);
        n += 7;
        if (has_id) {
            char tmp[24];
            unsigned long long magnitude =
                event_id < 0 ? 0ULL - (unsigned long long)event_id : (unsigned long long)event_id;
            int k = udigits(magnitude, tmp + sizeof tmp);
            if (event_id < 0) {
                head[n++] = '-';
            }
            memcpy(head + n, tmp + sizeof tmp - k, (size_t)k);
            n += k;
        }
        else {
            memcpy(head + n, "null", 4);
            n += 4;
        }
        memcpy(head + n, ", \"timestamp\": \"", 16);
        n += 16;
        memcpy(head + n, date, 11);
        n += 11;
        int hour = (int)(of_day / 3600), minute = (int)(of_day / 60 % 60),
            second = (int)(of_day % 60);
        two(head + n, hour);
        head[n + 2] = ':';
        two(head + n + 3, minute);
        head[n + 5] = ':';
        two(head + n + 6, second);
        n += 8;
        if (fraction) {
            head[n++] = '.';
            for (int d = 5; d >= 0; d--) {
                head[n + d] = (char)('0' + fraction % 10);
                fraction /= 10;
            }
            n += 6;
        }
        memcpy(head + n, "+00:00\", \"duration\": ", 21);
        n += 21;
        int k = duration(dur, head + n);
        if (k < 0) {
            goto fallback;
        }
        n += k;
        memcpy(head + n, ", \"data\": ", 10);
        n += 10;
        if (out_reserve(&out, n + text_len + 2) < 0) {
            goto error;
        }
        put(&out, head, n);
        put(&out, (const char *)PyUnicode_1BYTE_DATA(text), text_len);
        put(&out, "}", 1);
    }
    if (out_reserve(&out, 1) < 0) {
        goto error;
    }
    put(&out, "]", 1);
    if (out.len < out.cap && PyUnicode_Resize(&out.str, out.len) < 0) {
        Py_CLEAR(out.str); /* unchanged on failure, and still ours */
        return NULL;
    }
    return out.str;

fallback:
    Py_XDECREF(out.str);
    Py_RETURN_NONE;
error:
    Py_XDECREF(out.str);
    return NULL;
}

/* Start and duration of every event of ``list`` (all of type ``ev_type``, at offsets ``at``),
 * into a fresh array of 2 * n: 0 if some item is not such an event, a field is not an int
 * within 64 bits, a duration is not positive or an end overflows; -1 on an error. */
static int
columns(PyObject *list, PyObject *ev_type, const Offsets *at, long long **out)
{
    Py_ssize_t n = PyList_GET_SIZE(list);
    long long *col = PyMem_Malloc(sizeof(long long) * 2 * (size_t)(n ? n : 1));
    if (col == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *event = PyList_GET_ITEM(list, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            goto no;
        }
        PyObject *ts_obj = *(PyObject **)((char *)event + at->ts);
        PyObject *dur_obj = *(PyObject **)((char *)event + at->dur);
        if (ts_obj == NULL || dur_obj == NULL || !PyLong_CheckExact(ts_obj) ||
            !PyLong_CheckExact(dur_obj)) {
            goto no;
        }
        int overflow = 0;
        long long ts = PyLong_AsLongLongAndOverflow(ts_obj, &overflow);
        if (overflow) {
            goto no;
        }
        long long dur = PyLong_AsLongLongAndOverflow(dur_obj, &overflow);
        long long end;
        if (overflow || dur <= 0 || __builtin_add_overflow(ts, dur, &end)) {
            goto no;
        }
        col[2 * i] = ts;
        col[2 * i + 1] = end;
    }
    *out = col;
    return 1;
no:
    PyMem_Free(col);
    return 0;
}

/* intersect_lasting(events, filters, ev_type) -> list | None: transforms._intersect_lasting
 * (filter_period_intersect when every event of both lists lasts) over two lists sorted by
 * start: the pieces of ``events`` within some filter event, as new ``ev_type(start, duration,
 * data, id)``. None when some event does not last, or a field is not a 64-bit int: the caller
 * then runs the Python sweep. */
static PyObject *
intersect_lasting(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyList_CheckExact(args[0]) || !PyList_CheckExact(args[1]) ||
        !PyType_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "intersect_lasting(list, list, type)");
        return NULL;
    }
    PyObject *evs = args[0], *filters = args[1], *ev_type = args[2];
    Offsets at;
    if (!member_offset(ev_type, "ts", &at.ts) || !member_offset(ev_type, "dur", &at.dur) ||
        !member_offset(ev_type, "data", &at.data) || !member_offset(ev_type, "id", &at.id)) {
        Py_RETURN_NONE;
    }
    long long *one = NULL, *two_ = NULL;
    int got = columns(evs, ev_type, &at, &one);
    if (got <= 0) {
        return got < 0 ? NULL : Py_NewRef(Py_None);
    }
    got = columns(filters, ev_type, &at, &two_);
    if (got <= 0) {
        PyMem_Free(one);
        return got < 0 ? NULL : Py_NewRef(Py_None);
    }
    /* The events are held by the lists (arguments of this call), which only Python code could
     * change: none runs below except ev_type's constructor (msgspec's, in C). Each item is
     * checked again before its fields are read anyway. */
    PyObject *result = PyList_New(0);
    if (result == NULL) {
        goto error;
    }
    Py_ssize_t n1 = PyList_GET_SIZE(evs), n2 = PyList_GET_SIZE(filters), i = 0, j = 0;
    while (i < n1 && j < n2) {
        long long t1 = one[2 * i + 1], s2 = two_[2 * j];
        if (t1 <= s2) {
            i++;
            continue;
        }
        long long s1 = one[2 * i], t2 = two_[2 * j + 1];
        if (t2 <= s1) {
            j++;
            continue;
        }
        long long start = s1 > s2 ? s1 : s2;
        long long end = t1 <= t2 ? t1 : t2;
        if (i >= PyList_GET_SIZE(evs)) {
            break;
        }
        PyObject *event = PyList_GET_ITEM(evs, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            PyErr_SetString(PyExc_RuntimeError, "the list changed while it was intersected");
            goto error;
        }
        PyObject *fields[4];
        fields[0] = PyLong_FromLongLong(start);
        fields[1] = PyLong_FromLongLong(end - start);
        fields[2] = *(PyObject **)((char *)event + at.data);
        fields[3] = *(PyObject **)((char *)event + at.id);
        if (fields[0] == NULL || fields[1] == NULL || fields[2] == NULL || fields[3] == NULL) {
            Py_XDECREF(fields[0]);
            Py_XDECREF(fields[1]);
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_AttributeError, "an event without data or id");
            }
            goto error;
        }
        Py_INCREF(fields[2]);
        Py_INCREF(fields[3]);
        PyObject *piece = PyObject_Vectorcall(ev_type, fields, 4, NULL);
        for (int k = 0; k < 4; k++) {
            Py_DECREF(fields[k]);
        }
        if (piece == NULL) {
            goto error;
        }
        int failed = PyList_Append(result, piece);
        Py_DECREF(piece);
        if (failed) {
            goto error;
        }
        if (t1 <= t2) {
            i++;
        }
        else {
            j++;
        }
    }
    PyMem_Free(one);
    PyMem_Free(two_);
    return result;
error:
    Py_XDECREF(result);
    PyMem_Free(one);
    PyMem_Free(two_);
    return NULL;
}

/* Object -> object by address, open addressing; it holds a reference to each key and value
 * until freed, so no key's address is reused meanwhile. */
typedef struct {
    PyObject **keys, **values;
    size_t cap, used;
} Table;

static int
table_init(Table *table)
{
    table->cap = 256;
    table->used = 0;
    table->keys = PyMem_Calloc(table->cap, sizeof(PyObject *));
    table->values = PyMem_Calloc(table->cap, sizeof(PyObject *));
    if (table->keys == NULL || table->values == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static inline size_t
table_slot(PyObject **keys, size_t cap, PyObject *key)
{
    size_t mask = cap - 1;
    size_t slot = ((((size_t)key >> 4) * 0x9E3779B97F4A7C15ULL) >> 17) & mask;
    while (keys[slot] != NULL && keys[slot] != key) {
        slot = (slot + 1) & mask;
    }
    return slot;
}

/* The value of ``key`` (borrowed), or NULL. */
static inline PyObject *
table_get(Table *table, PyObject *key)
{
    size_t slot = table_slot(table->keys, table->cap, key);
    return table->keys[slot] == key ? table->values[slot] : NULL;
}

/* Adds key -> value (a new key), taking over the reference to ``value``. */
static int
table_put(Table *table, PyObject *key, PyObject *value)
{
    size_t slot = table_slot(table->keys, table->cap, key);
    table->keys[slot] = Py_NewRef(key);
    table->values[slot] = value;
    if (++table->used * 2 <= table->cap) {
        return 0;
    }
    size_t bigger = table->cap * 4;
    PyObject **keys = PyMem_Calloc(bigger, sizeof(PyObject *));
    PyObject **values = PyMem_Calloc(bigger, sizeof(PyObject *));
    if (keys == NULL || values == NULL) {
        PyMem_Free(keys);
        PyMem_Free(values);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t k = 0; k < table->cap; k++) {
        if (table->keys[k] != NULL) {
            size_t to = table_slot(keys, bigger, table->keys[k]);
            keys[to] = table->keys[k];
            values[to] = table->values[k];
        }
    }
    PyMem_Free(table->keys);
    PyMem_Free(table->values);
    table->keys = keys;
    table->values = values;
    table->cap = bigger;
    return 0;
}

static void
table_free(Table *table)
{
    if (table->keys != NULL && table->values != NULL) {
        for (size_t k = 0; k < table->cap; k++) {
            Py_XDECREF(table->keys[k]);
            Py_XDECREF(table->values[k]);
        }
    }
    PyMem_Free(table->keys);
    PyMem_Free(table->values);
}

/* The offsets of ev_type's fields and whether every item of ``list`` is an ev_type: 1 yes,
 * 0 no. */
static int
all_events(PyObject *list, PyObject *ev_type, Offsets *at)
{
    if (!member_offset(ev_type, "ts", &at->ts) || !member_offset(ev_type, "dur", &at->dur) ||
        !member_offset(ev_type, "data", &at->data) || !member_offset(ev_type, "id", &at->id)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        if (!Py_IS_TYPE(PyList_GET_ITEM(list, i), (PyTypeObject *)ev_type)) {
            return 0;
        }
    }
    return 1;
}

/* merge_by_data(events, ev_type, miss) -> True | None: the loop of
 * transforms.merge_events_by_keys. Each event whose data object was seen before adds its
 * duration to that object's merged event; for the first event of each data object
 * ``miss(event)`` (Python: the composite key, the merged dict) returns the merged event it
 * went to. None, before changing anything, when an item is not an ``ev_type``. */
static PyObject *
merge_by_data(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyList_CheckExact(args[0]) || !PyType_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "merge_by_data(list, type, callable)");
        return NULL;
    }
    PyObject *list = args[0], *ev_type = args[1], *miss = args[2];
    Offsets at;
    if (!all_events(list, ev_type, &at)) {
        Py_RETURN_NONE;
    }
    Table table;
    PyObject *list_ref = Py_NewRef(list);
    PyObject *result = NULL;
    if (table_init(&table) < 0) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *event = PyList_GET_ITEM(list, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            PyErr_SetString(PyExc_TypeError, "the list changed while it was merged");
            goto done;
        }
        PyObject *data = *(PyObject **)((char *)event + at.data);
        PyObject *dur = *(PyObject **)((char *)event + at.dur);
        if (data == NULL || dur == NULL) {
            PyErr_SetString(PyExc_AttributeError, "an event without data or duration");
            goto done;
        }
        PyObject *merged = table_get(&table, data);
        if (merged != NULL) {
            PyObject **field = (PyObject **)((char *)merged + at.dur);
            if (*field == NULL) {
                PyErr_SetString(PyExc_AttributeError, "a merged event without duration");
                goto done;
            }
            PyObject *sum = PyNumber_Add(*field, dur);
            if (sum == NULL) {
                goto done;
            }
            Py_SETREF(*field, sum);
            continue;
        }
        /* ``miss`` runs Python code: the event and its data (a borrowed slot) are held. */
        Py_INCREF(event);
        Py_INCREF(data);
        merged = PyObject_CallOneArg(miss, event);
        Py_DECREF(event);
        if (merged == NULL) {
            Py_DECREF(data);
            goto done;
        }
        if (!Py_IS_TYPE(merged, (PyTypeObject *)ev_type)) {
            Py_DECREF(merged);
            Py_DECREF(data);
            PyErr_SetString(PyExc_TypeError, "miss must return an event");
            goto done;
        }
        int put_failed = table_put(&table, data, merged) < 0;
        Py_DECREF(data);
        if (put_failed) {
            goto done;
        }
    }
    result = Py_NewRef(Py_True);
done:
    table_free(&table);
    Py_DECREF(list_ref);
    return result;
}

/* relabel(events, ev_type, miss) -> True | None: the loop of transforms._label. Each
 * event's data becomes ``miss(data)``, computed once per data object. None, before
 * changing anything, when an item is not an ``ev_type``. */
static PyObject *
relabel(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyList_CheckExact(args[0]) || !PyType_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "relabel(list, type, callable)");
        return NULL;
    }
    PyObject *list = args[0], *ev_type = args[1], *miss = args[2];
    Offsets at;
    if (!all_events(list, ev_type, &at)) {
        Py_RETURN_NONE;
    }
    Table table;
    PyObject *list_ref = Py_NewRef(list);
    PyObject *result = NULL;
    if (table_init(&table) < 0) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *event = PyList_GET_ITEM(list, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            PyErr_SetString(PyExc_TypeError, "the list changed while it was labelled");
            goto done;
        }
        PyObject **field = (PyObject **)((char *)event + at.data);
        PyObject *data = *field;
        if (data == NULL) {
            PyErr_SetString(PyExc_AttributeError, "an event without data");
            goto done;
        }
        PyObject *labelled = table_get(&table, data);
        if (labelled == NULL) {
            /* ``miss`` runs Python code: the data (a borrowed slot) is held until the table
             * holds it as its key. */
            Py_INCREF(data);
            labelled = PyObject_CallOneArg(miss, data);
            if (labelled == NULL) {
                Py_DECREF(data);
                goto done;
            }
            int put_failed = table_put(&table, data, labelled) < 0;
            Py_DECREF(data);
            if (put_failed) {
                goto done;
            }
            /* The table holds the old data (its key) and the new; the event may change. */
            if (i >= PyList_GET_SIZE(list) || PyList_GET_ITEM(list, i) != event) {
                PyErr_SetString(PyExc_RuntimeError, "the list changed while it was labelled");
                goto done;
            }
            field = (PyObject **)((char *)event + at.data);
            if (*field != data) {
                PyErr_SetString(PyExc_RuntimeError, "the list changed while it was labelled");
                goto done;
            }
        }
        Py_SETREF(*field, Py_NewRef(labelled));
    }
    result = Py_NewRef(Py_True);
done:
    table_free(&table);
    Py_DECREF(list_ref);
    return result;
}

static PyMethodDef methods[] = {
    {"events", (PyCFunction)(void (*)(void))events, METH_FASTCALL,
     "events(events, ev_type, cache, encode) -> str | None: a list of events as JSON text."},
    {"intersect_lasting", (PyCFunction)(void (*)(void))intersect_lasting, METH_FASTCALL,
     "intersect_lasting(events, filters, ev_type) -> list | None: filter_period_intersect's "
     "sweep over lasting events sorted by start."},
    {"merge_by_data", (PyCFunction)(void (*)(void))merge_by_data, METH_FASTCALL,
     "merge_by_data(events, ev_type, miss) -> True | None: merge_events_by_keys's loop, "
     "one miss(event) per distinct data object."},
    {"relabel", (PyCFunction)(void (*)(void))relabel, METH_FASTCALL,
     "relabel(events, ev_type, miss) -> True | None: _label's loop, each event's data "
     "replaced by miss(data), computed once per data object."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_encode", "The agent's event-list encoder and intersection in C.", 0, methods, slots,
};

PyMODINIT_FUNC
PyInit__encode(void)
{
    return PyModuleDef_Init(&module);
}
