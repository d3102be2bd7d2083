package console

import (
	"strings"
	"testing"
)

var fastArgon = argonParams{Memory: 64, Time: 1, Threads: 1}

func TestPasswordRoundTrip(t *testing.T) {
	h, err := hashPassword("correct horse battery staple", fastArgon)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		ok, err := checkPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("checkPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	h2, _ := hashPassword("correct horse battery staple", fastArgon)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestDefaultArgonMeetsOWASP(t *testing.T) {
	h, err := parsePHC(dummyHash)
	if err != nil {
		t.Fatal(err)
	}
	if h.params.Memory < 19*1024 || h.params.Time < 2 {
		t.Fatalf("default argon2id parameters %+v are below m=19 MiB, t=2", h.params)
	}
}

func TestParsePHCRejects(t *testing.T) {
	good, _ := hashPassword("x", fastArgon)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	for name, in := range map[string]string{
		"empty":        "",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuu",
		"argon2i":      "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"old version":  "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"huge memory":  "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key,
		"huge time":    "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"zero threads": "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"unknown key":  "$argon2id$v=19$m=64,t=1,x=1$" + salt + "$" + key,
		"short salt":   "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key,
		"bad base64":   "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$!!!!",
		"extra field":  good + "$x",
	} {
		if _, err := parsePHC(in); err == nil {
			t.Errorf("%s: parsePHC(%q) accepted", name, in)
		}
	}
	if ok, err := checkPassword("garbage", "x"); ok || err == nil {
		t.Fatal("a malformed hash matched")
	}
}

func TestGeneratedPassword(t *testing.T) {
	a, b := generatePassword(), generatePassword()
	if len(a) != 26 || a == b {
		t.Fatalf("generated passwords %q and %q", a, b)
	}
}

func FuzzParsePHC(f *testing.F) {
	good, _ := hashPassword("x", fastArgon)
	for _, s := range []string{good, "", "$argon2id$v=19$m=1,t=1,p=1$$", "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		if h.params.Memory > maxArgonMemory || h.params.Time > maxArgonTime || h.params.Threads == 0 || len(h.salt) < 8 || len(h.key) < 16 {
			t.Fatalf("parsePHC(%q) accepted out-of-bounds parameters %+v", s, h.params)
		}
	})
}
