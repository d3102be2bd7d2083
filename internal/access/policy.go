package access

// Permission names an action in the API and the console.
type Permission string

// Permissions checked by the HTTP layer.
const (
	PermRead         Permission = "read"            // read evidence, controls, registry
	PermLedgerAppend Permission = "ledger.append"   // append typed events
	PermLedgerManage Permission = "ledger.manage"   // publish checkpoints, export
	PermKeys         Permission = "keys.manage"     // create, rotate, revoke keys
	PermSubjects     Permission = "subjects.manage" // erasure, holds, export of subject data
	PermInference    Permission = "inference"       // call the gateway
	PermModelsWrite  Permission = "models.write"    // register, sign, request changes
	PermApprove      Permission = "changes.approve"
	PermCompliance   Permission = "compliance.manage" // controls, vendors, retention, reviews
)

var grants = map[Role][]Permission{
	RoleAdmin:      {PermRead, PermLedgerAppend, PermLedgerManage, PermKeys, PermSubjects, PermInference, PermModelsWrite, PermApprove, PermCompliance},
	RoleCompliance: {PermRead, PermLedgerAppend, PermSubjects, PermCompliance},
	RoleEngineer:   {PermRead, PermLedgerAppend, PermModelsWrite, PermInference},
	RoleApprover:   {PermRead, PermApprove},
	RoleAuditor:    {PermRead},
	RoleOperator:   {PermRead, PermKeys, PermInference},
	RoleConsumer:   {PermInference},
}

// Can reports whether role grants p.
func (r Role) Can(p Permission) bool {
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// CrossTenant reports whether the role may read every tenant's data: the
// platform administrator and the auditor.
func (r Role) CrossTenant() bool { return r == RoleAdmin || r == RoleAuditor }
