package access

import (
	"context"
	"sync"
)

// Versioned is a Store that counts changes to its keys, made by any process
// or replica, so that keys can be cached and a change still takes effect
// on the next request: one read of the version replaces the key read.
type Versioned interface {
	KeysVersion(ctx context.Context) (int64, error)
}

// keyCacheMax bounds the cache; past it the cache starts over.
const keyCacheMax = 10000

// keyCache holds keys read at one version of the store's keys. Unknown
// ids are never cached, so guessing tokens cannot fill it.
type keyCache struct {
	mu      sync.Mutex
	version int64
	keys    map[string]Key
}

// get returns the key if it was cached at version v; any other version
// empties the cache.
func (c *keyCache) get(id string, v int64) (Key, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != v || c.keys == nil {
		c.version, c.keys = v, make(map[string]Key)
		return Key{}, false
	}
	k, ok := c.keys[id]
	return k, ok
}

// put caches k as read at version v, a version read before the key was.
func (c *keyCache) put(k Key, v int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != v {
		return // the keys changed meanwhile; the next read starts over
	}
	if len(c.keys) >= keyCacheMax {
		c.keys = make(map[string]Key)
	}
	c.keys[k.ID] = k
}

// key reads a key for authentication, through the cache when the store
// keeps a version. A version that cannot be read is an error, as a key
// that cannot be read is: the caller fails closed.
func (s *Service) key(ctx context.Context, id string) (Key, error) {
	vs, ok := s.st.(Versioned)
	if !ok {
		return s.st.Key(ctx, id)
	}
	v, err := vs.KeysVersion(ctx)
	if err != nil {
		return Key{}, err
	}
	if k, ok := s.cache.get(id, v); ok {
		return k, nil
	}
	k, err := s.st.Key(ctx, id)
	if err != nil {
		return k, err
	}
	s.cache.put(k, v)
	return k, nil
}
