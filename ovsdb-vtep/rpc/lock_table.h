// OVSDB's advisory locks (RFC 7047 §4.1.8-4.1.10): per lock name, a queue of sessions,
// the first of which owns it.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <string>

namespace vtep::rpc {

template <typename Session>
class LockTable {
  public:
    // Queues 'session' for 'name' (at the front when stealing). Returns the previous owner
    // that lost the lock to a steal, or null.
    Session* acquire(const std::string& name, Session* session, bool steal) {
        auto& q = locks_[name];
        Session* victim = nullptr;
        if (steal) {
            if (!q.empty() && q.front() != session) victim = q.front();
            q.erase(std::remove(q.begin(), q.end(), session), q.end());
            q.push_front(session);
        } else {
            q.push_back(session);
        }
        return victim;
    }
    bool owns(const std::string& name, const Session* session) const {
        auto it = locks_.find(name);
        return it != locks_.end() && !it->second.empty() && it->second.front() == session;
    }
    bool waits(const std::string& name, const Session* session) const {
        auto it = locks_.find(name);
        return it != locks_.end() &&
               std::find(it->second.begin(), it->second.end(), session) != it->second.end();
    }
    // Removes 'session' from the queue; returns the owner to notify with "locked". Like
    // ovsdb-server 3.1, that is the owner after any removal, even when it already owned
    // the lock (clients treat a repeated "locked" as a no-op).
    Session* release(const std::string& name, Session* session) {
        auto it = locks_.find(name);
        if (it == locks_.end()) return nullptr;
        auto& q = it->second;
        q.erase(std::remove(q.begin(), q.end(), session), q.end());
        Session* next = !q.empty() ? q.front() : nullptr;
        if (q.empty()) locks_.erase(it);
        return next;
    }

  private:
    std::map<std::string, std::deque<Session*>> locks_;
};

}  // namespace vtep::rpc
