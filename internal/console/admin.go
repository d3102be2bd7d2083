package console

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/records"
)

type usersData struct {
	Users    []User
	Roles    []access.Role
	Tenant   string
	Password string // a generated password, shown once
	For      string
}

// consoleRoles are the roles a console user may hold.
func consoleRoles() []access.Role {
	var out []access.Role
	for _, r := range access.Roles {
		if consoleRole(r) == nil {
			out = append(out, r)
		}
	}
	return out
}

func (c *Console) usersPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	c.renderUsers(w, r, v, http.StatusOK, usersData{}, "", "")
}

func (c *Console) renderUsers(w http.ResponseWriter, r *http.Request, v *viewer, status int, d usersData, flash, problem string) {
	us, err := c.users.list(r.Context())
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	slices.SortFunc(us, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	d.Users, d.Roles, d.Tenant = us, consoleRoles(), c.d.Tenant
	c.render(w, r, status, "users", &view{V: v, Title: "Users", Nav: "users", Flash: flash, Error: problem, Data: d})
}

func (c *Console) createUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	n := NewUser{
		Name:       strings.TrimSpace(r.PostFormValue("name")),
		Tenant:     strings.TrimSpace(r.PostFormValue("tenant")),
		Role:       access.Role(r.PostFormValue("role")),
		OIDC:       r.PostFormValue("oidc") == "on",
		NoPassword: r.PostFormValue("password") != "on",
	}
	if n.Tenant == "" {
		n.Tenant = c.d.Tenant
	}
	u, pw, err := c.users.create(r.Context(), v.User.Actor(), n)
	if err != nil {
		c.userError(w, r, v, err)
		return
	}
	msg := "Created " + u.Name + " (" + string(u.Role) + ")."
	if pw == "" {
		msg += " They sign in with single sign-on."
	}
	c.renderUsers(w, r, v, http.StatusOK, usersData{Password: pw, For: u.Name}, msg, "")
}

// changeUser applies one operation from the users table. A change of role
// or a disable signs the user out everywhere.
func (c *Console) changeUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	ctx, name, by := r.Context(), r.PathValue("name"), v.User.Actor()
	var err error
	var d usersData
	var msg string
	signOut := false
	switch op := r.PostFormValue("op"); op {
	case "role":
		role := access.Role(r.PostFormValue("role"))
		_, err = c.users.update(ctx, by, name, UserChange{Role: &role})
		msg, signOut = "Changed the role of "+name+" to "+string(role)+".", true
	case "disable", "enable":
		off := op == "disable"
		_, err = c.users.update(ctx, by, name, UserChange{Disabled: &off})
		msg, signOut = strings.ToUpper(op[:1])+op[1:]+"d "+name+".", off
	case "oidc-on", "oidc-off":
		on := op == "oidc-on"
		_, err = c.users.update(ctx, by, name, UserChange{OIDC: &on})
		msg = "Updated single sign-on for " + name + "."
	case "password":
		d.Password, err = c.users.resetPassword(ctx, by, name)
		d.For, msg, signOut = name, "Reset the password of "+name+".", true
	default:
		c.renderUsers(w, r, v, http.StatusBadRequest, d, "", "Unknown change.")
		return
	}
	if err != nil {
		c.userError(w, r, v, err)
		return
	}
	if signOut {
		if err := c.sessions.sweep(ctx, name); err != nil {
			c.d.Logger.Error("sign out changed user", "err", err)
		}
		if name == v.User.Name {
			redirect(w, r, "/login")
			return
		}
	}
	c.renderUsers(w, r, v, http.StatusOK, d, msg, "")
}

func (c *Console) userError(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	if errors.Is(err, records.ErrNotFound) {
		c.renderUsers(w, r, v, http.StatusNotFound, usersData{}, "", "No such user.")
		return
	}
	if isInputError(err) {
		c.renderUsers(w, r, v, http.StatusBadRequest, usersData{}, "", err.Error())
		return
	}
	c.internal(w, r, v, err)
}
